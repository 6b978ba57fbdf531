#!/usr/bin/env bash
# make bench: benchmarks whose figures go into docs/benchmarks.md. Each
# section prints its own lines; sections for other sources follow the
# manifest one. Never part of make test.
set -euo pipefail
cd "$(dirname "$0")/.."
export KSCAN_TESTBIN="${KSCAN_TESTBIN:-$HOME/.cache/kscan-testbin}"
BIN=${KSCAN_BIN:-bin/kscan}
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

# peak RSS (KiB) and wall seconds of a command, from GNU time when present.
measure() {
	if [[ -x /usr/bin/time ]]; then
		/usr/bin/time -f "%e %M" "$@" 2>"$WORK/time" >/dev/null || true
		tail -1 "$WORK/time"
	else
		local s=$(date +%s.%N); "$@" >/dev/null 2>&1 || true
		echo "$(echo "$(date +%s.%N) - $s" | bc) 0"
	fi
}

echo "== manifests: kscan scan on a synthetic cluster (deployments, services, RBAC)"
printf "%-8s %10s %12s %12s %14s\n" objects seconds objects/s peak_MiB parse_only_s
for n in ${BENCH_SIZES:-1000 10000 50000}; do
	go run ./hack/synth -n "$n" -out "$WORK/synth-$n"
	read -r secs rss < <(measure "$BIN" scan "$WORK/synth-$n" --fail-on none --format json --output /dev/null)
	read -r psecs _ < <(measure "$BIN" scan "$WORK/synth-$n" --fail-on none --format json --output /dev/null --skip-rules '*')
	printf "%-8s %10s %12.0f %12.1f %14s\n" "$n" "$secs" "$(echo "$n / $secs" | bc -l)" "$(echo "$rss / 1024" | bc -l)" "$psecs"
done

for extra in hack/bench.d/*.sh; do
	[[ -e $extra ]] || continue
	echo
	bash "$extra"
done
