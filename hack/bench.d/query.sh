#!/usr/bin/env bash
# make bench section: kscan query on the synthetic cluster of hack/synth
# (BENCH_QUERY_SIZE objects, 50,000 by default). The figure is the time of
# the query alone, after the graph and facts are built (KSCAN_DEBUG_TIMINGS
# prints it as "query", with the process CPU time and the garbage collections
# inside it), median of BENCH_RUNS runs; the whole command's wall time is
# shown beside it.
set -euo pipefail
cd "$(dirname "$0")/../.."
BIN=${KSCAN_BIN:-bin/kscan}
N=${BENCH_QUERY_SIZE:-50000}
RUNS=${BENCH_RUNS:-3}
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
go run ./hack/synth -n "$N" -out "$WORK/synth"
echo "== kscan query on a synthetic cluster of $N objects, $RUNS runs, median"
printf "%-44s | %-10s | %-10s | %-10s | %s\n" query "query s" "query cpu" "command" rows
# Go durations (851ms, 1.2s, 900µs) in seconds, so that sort -n compares them.
SECS='function secs(d) { if (d ~ /ms$/) return sprintf("%.3f", d / 1000); if (d ~ /(µs|us)$/) return sprintf("%.3f", d / 1e6); if (d ~ /ns$/) return "0.000"; return sprintf("%.3f", d + 0) }'
median() { sort -n | sed -n "$(((RUNS + 1) / 2))p"; }
for q in "exposed-workloads" "image-versions --param name=app-01" "who-can-read-secrets" "privileged-workloads" \
	"orphaned-config" "unused-service-accounts" "unbound-roles" \
	'some w in kscan.workloads; kscan.exposed(w); workload := w.id'; do
	qs=() cpus=() walls=()
	for ((i = 0; i < RUNS; i++)); do
		start=$(date +%s.%N)
		# shellcheck disable=SC2086 # the named queries' words are arguments
		if [[ $q == some* ]]; then
			KSCAN_DEBUG_TIMINGS=1 "$BIN" query "$q" --format count -q "$WORK/synth" >"$WORK/out" 2>"$WORK/err"
		else
			KSCAN_DEBUG_TIMINGS=1 "$BIN" query $q --format count -q "$WORK/synth" >"$WORK/out" 2>"$WORK/err"
		fi
		walls+=("$(echo "$(date +%s.%N) - $start" | bc -l)")
		qs+=("$(awk '$2 == "query" {print secs($3)} '"$SECS" "$WORK/err")")
		cpus+=("$(awk '$2 == "query" {sub(/,$/, "", $5); print secs($5)} '"$SECS" "$WORK/err")")
	done
	printf "%-44s | %-10s | %-10s | %-10.2f | %s\n" "${q:0:44}" "$(printf "%s\n" "${qs[@]}" | median)" "$(printf "%s\n" "${cpus[@]}" | median)" \
		"$(printf "%s\n" "${walls[@]}" | median)" "$(cat "$WORK/out")"
done

# --watch updates on the same cluster (internal/incremental's
# BenchmarkWatchUpdate): one Deployment's image changed, then the answer
# re-evaluated end to end (graph from client-go stores, facts, evaluation,
# diff) over the whole cluster ("full", what every update did before) and
# over the Deployment's namespace ("incremental"); median of BENCH_WATCH_RUNS
# updates each.
echo "== kscan --watch: one update on the synthetic cluster of $N objects"
KSCAN_BENCH_SYNTH="$WORK/synth" go test ./internal/incremental -run '^$' -bench BenchmarkWatchUpdate \
	-benchtime "${BENCH_WATCH_RUNS:-9}x" -timeout 60m | grep -E 'objects from|rows|update-median'
