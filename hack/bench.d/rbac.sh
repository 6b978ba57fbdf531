#!/usr/bin/env bash
# make bench section: RBAC effective permissions and drift on a synthetic
# cluster of 5,000 roles, 20,000 bindings and 10,000 subjects (rbac/bench_test.go).
# cpu-s/op is the CPU time used (user+system), meaningful on a shared machine;
# ns/op is wall time.
set -euo pipefail
cd "$(dirname "$0")/../.."
echo "== RBAC: 5,000 roles, 20,000 bindings, 10,000 subjects"
go test ./rbac/ -run '^$' -bench 'BenchmarkEffectivePermissions|BenchmarkDrift|BenchmarkAllows' -benchtime "${BENCH_RBAC_TIME:-3x}" -benchmem \
	| grep -E '^Benchmark'
