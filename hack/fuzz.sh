#!/usr/bin/env bash
# make fuzz: every Go fuzz target of the repository, one after the other, for
# FUZZTIME each (default 60s). FUZZ=regexp runs only the targets it matches,
# e.g. make fuzz FUZZ=FuzzDecode FUZZTIME=10m. A failing input is written to
# the package's testdata/fuzz/ and replayed by go test from then on.
set -euo pipefail
cd "$(dirname "$0")/.."
fuzztime="${FUZZTIME:-60s}"
ran=0
while read -r file; do
	dir="./$(dirname "$file")"
	for target in $(sed -n 's/^func \(Fuzz[A-Za-z0-9_]*\)(.*/\1/p' "$file"); do
		if [[ -n ${FUZZ:-} && ! $target =~ $FUZZ ]]; then
			continue
		fi
		echo "== fuzz $dir $target ($fuzztime)"
		go test -run '^$' -fuzz "^${target}\$" -fuzztime "$fuzztime" "$dir"
		ran=$((ran + 1))
	done
done < <(git ls-files '*_test.go' | xargs grep -l '^func Fuzz' | sort)
if ((ran == 0)); then
	echo "fuzz: no target matches ${FUZZ:-any}" >&2
	exit 1
fi
