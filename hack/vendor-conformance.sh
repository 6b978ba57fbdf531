#!/usr/bin/env bash
# Refreshes testdata/conformance from a checkout of the shared conformance
# corpus (third-party fixtures, each folder with its upstream LICENSE and a
# SOURCE.md naming repository, commit and original paths). The tests read
# only testdata/conformance, so a clone needs nothing beside it.
# Usage: hack/vendor-conformance.sh /path/to/conformance
set -euo pipefail
src=${1:?usage: hack/vendor-conformance.sh /path/to/conformance}
dst="$(dirname "$0")/../testdata/conformance"
for d in "$src"/*/; do
	[[ -f $d/SOURCE.md && -f $d/LICENSE ]] || { echo "vendor-conformance: $d has no SOURCE.md and LICENSE" >&2; exit 2; }
done
rm -rf "$dst"
mkdir -p "$dst"
cp -a "$src"/. "$dst"/
echo "vendor-conformance: $(find "$dst" -type f | wc -l) files in $dst" >&2
