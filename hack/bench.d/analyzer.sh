#!/usr/bin/env bash
# Pulumi analyzer: Analyze latency per resource and AnalyzeStack on 10,000
# resources, over gRPC on loopback (figures go into docs/benchmarks.md).
set -euo pipefail
cd "$(dirname "$0")/../.."
echo "== pulumi analyzer: Analyze per resource; AnalyzeStack of 10,000 resources"
go test -run '^$' -bench 'BenchmarkAnalyze(InProcess)?$' -benchtime 300x -benchmem ./analyzer/ | grep -E '^Benchmark'
go test -run '^$' -bench 'BenchmarkAnalyzeStack(10k|10kNoPath|1k)$' -benchtime 3x -benchmem ./analyzer/ | grep -E '^Benchmark'
