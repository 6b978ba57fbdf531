#!/usr/bin/env bash
# make test: lint, then every Go test. Integration tests find the real
# components through KSCAN_TESTBIN; in CI (CI=true) a missing component is a
# failure, never a skip.
set -euo pipefail
cd "$(dirname "$0")/.."
export KSCAN_TESTBIN="${KSCAN_TESTBIN:-$HOME/.cache/kscan-testbin}"
export GOFLAGS="${GOFLAGS:--buildvcs=false}"

echo "== lint"
unformatted=$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))
if [[ -n $unformatted ]]; then
	echo "gofmt needed:"; echo "$unformatted"; exit 1
fi
go vet ./...

echo "== test components (cached in $KSCAN_TESTBIN)"
bash hack/testbin.sh >/dev/null
bash hack/report-tools.sh
bash hack/graph-tools.sh

echo "== go test"
go test -count=1 -timeout 40m ./...

# The YAML fast path must agree with yaml.v3 or decline, never panic: a minute
# of fuzzing on every run (make fuzz runs every target, as long as asked).
echo "== fuzz"
FUZZ='^FuzzDecode$' FUZZTIME=60s bash hack/fuzz.sh
