#!/usr/bin/env bash
# Parsing: manifest.ParseInto (the fast path, falling back to yaml.v3 where
# it must) against yaml.v3 alone, on block YAML (LF and CRLF), indented JSON
# and one-line JSON of 2,000 objects each. Figures go under "Parsing" in
# docs/benchmarks.md.
set -euo pipefail
cd "$(dirname "$0")/../.."
echo "== parsing: kscan's YAML/JSON reader vs yaml.v3, 2,000 objects per input"
go test -run '^$' -bench 'BenchmarkParse' -benchtime "${KSCAN_BENCH_ITER:-20}x" ./collectors/manifest/ | grep -E '^Benchmark'
