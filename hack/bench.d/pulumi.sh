#!/usr/bin/env bash
# Pulumi state: parsing + normalising a 10,000-resource stack export, and one
# declared-vs-live drift comparison (figures go into docs/benchmarks.md).
set -euo pipefail
cd "$(dirname "$0")/../.."
echo "== pulumi: collect a 10k-resource stack export; drift comparison"
go test -run '^$' -bench . -benchtime 5x ./collectors/pulumi/ | grep -E '^Benchmark'
go test -run '^$' -bench . ./enrich/drift/ | grep -E '^Benchmark'
