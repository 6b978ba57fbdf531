#!/usr/bin/env bash
# Live cluster: kscan against a real kube-apiserver holding
# KSCAN_BENCH_OBJECTS (default 20000) objects (collectors/kube/bench_test.go):
#   - in process: kscan's collection and whole scan against the raw JSON
#     list of the same types (GET ?limit=500 pages, each decoded);
#   - as binaries, side by side: the real kubectl (hack/testbin.sh kubectl,
#     or make bench-peers) `get <same types> -A -o json` against
#     `kscan scan --kubeconfig … --format json`, both to /dev/null, medians
#     of KSCAN_BENCH_ITER passes with the client's and the API server's CPU;
#     KSCAN_BENCH_TIMINGS=1 also prints kscan's phases of every pass.
# Figures go under "Live cluster" in docs/benchmarks.md.
set -euo pipefail
cd "$(dirname "$0")/../.."
BIN=$(realpath "${KSCAN_BIN:-bin/kscan}")
[[ -x $BIN ]] || { echo "live: $BIN missing (make build)"; exit 1; }
export KSCAN_BENCH_BIN=$BIN
echo "== live cluster: ${KSCAN_BENCH_OBJECTS:-20000} objects, kscan vs kubectl get -o json of the same types"
[[ -x ${KSCAN_TESTBIN:-$HOME/.cache/kscan-testbin}/kubectl ]] || echo "   (kubectl is compared when built: make bench-peers)"
out=$(go test -run '^$' -bench 'BenchmarkLive' -benchtime "${KSCAN_BENCH_ITER:-5}x" -timeout 30m ./collectors/kube/ 2>&1) || { echo "$out"; exit 1; }
echo "$out" | grep -E '^Benchmark|created|load average|SKIP|kscan: '
echo "$out" | awk '
	function metric(name,   i) { for (i = 1; i < NF; i++) if ($(i+1) == name) return $i; return "" }
	/BenchmarkLive\/raw-list/ { raw = $3; start = metric("apiserver-startup-s") }
	/BenchmarkLive\/kscan-collect-[0-9]/ { col = $3 }
	/BenchmarkLive\/kscan-collect-sequential/ { seq = $3 }
	/BenchmarkLive\/kscan-scan/ { scan = $3 }
	/BenchmarkLive\/kubectl-vs-kscan/ {
		kw = metric("kubectl-s"); sw = metric("kscan-s"); kc = metric("kubectl-cpu-s"); sc = metric("kscan-cpu-s")
		kv = metric("server-cpu-kubectl-s"); sv = metric("server-cpu-kscan-s"); idle = metric("server-idle-cpu-s/s")
	}
	END {
		if (raw > 0) {
			printf "in process: raw list %.2fs | kscan collect %.2fs (%.2fx) | sequential %.2fs (%.2fx) | full scan %.2fs (%.2fx) | API server ready in %.1fs\n",
				raw/1e9, col/1e9, col/raw, seq/1e9, seq/raw, scan/1e9, scan/raw, start
		}
		if (kw > 0) {
			printf "binaries (medians): kubectl get %.2fs (client CPU %.2fs, server CPU %.2fs) | kscan scan %.2fs (client CPU %.2fs, server CPU %.2fs) | kscan/kubectl %.2fx | server idle %.2f CPU-s/s\n",
				kw, kc, kv, sw, sc, sv, sw/kw, idle
		}
	}'
