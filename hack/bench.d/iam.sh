#!/usr/bin/env bash
# AWS IAM: an account with 5,000 roles and 20,000 policies, evaluated alone
# (iampolicy.Enrich) and as a whole offline scan (read the authorization
# details, Prepare, Rego input, iam/ and path/ rules). Figures go into
# docs/benchmarks.md.
set -euo pipefail
cd "$(dirname "$0")/../.."
echo "== iam: 5,000 roles and 20,000 policies"
go test -run '^$' -bench BenchmarkIAMEnrich -benchmem -benchtime 3x ./iampolicy/ | grep -E '^Benchmark'
go test -run '^$' -bench BenchmarkIAMScan -benchmem -benchtime 3x ./collectors/iam/ | grep -E '^Benchmark'
