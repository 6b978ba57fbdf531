#!/usr/bin/env bash
# Live cluster: kscan's collection from a real kube-apiserver holding
# KSCAN_BENCH_OBJECTS (default 20000) objects, against the baseline of
# `kubectl get <same types> -A -o json` — the same GET ?limit=500 JSON page
# requests, type after type, each page decoded (there is no kubectl on the
# test machines; collectors/kube/bench_test.go makes those requests).
# Figures go under "Live cluster" in docs/benchmarks.md.
set -euo pipefail
cd "$(dirname "$0")/../.."
echo "== live cluster: ${KSCAN_BENCH_OBJECTS:-20000} objects, kscan collection vs raw JSON list (kubectl get -o json equivalent)"
out=$(go test -run '^$' -bench 'BenchmarkLive' -benchtime "${KSCAN_BENCH_ITER:-5}x" -timeout 30m ./collectors/kube/ 2>&1) || { echo "$out"; exit 1; }
echo "$out" | grep -E '^Benchmark|created'
echo "$out" | awk '
	/BenchmarkLive\/raw-list/ { raw = $3 }
	/BenchmarkLive\/kscan-collect-[0-9]/ { col = $3 }
	/BenchmarkLive\/kscan-collect-sequential/ { seq = $3 }
	/BenchmarkLive\/kscan-scan/ { scan = $3 }
	/apiserver-startup-s/ { for (i = 1; i < NF; i++) if ($(i+1) == "apiserver-startup-s") start = $i }
	END {
		if (raw > 0) {
			printf "raw list %.2fs | kscan collect %.2fs (%.2fx) | sequential %.2fs (%.2fx) | full scan %.2fs (%.2fx) | API server ready in %.1fs\n",
				raw/1e9, col/1e9, col/raw, seq/1e9, seq/raw, scan/1e9, scan/raw, start
		}
	}'
