#!/usr/bin/env bash
# Registry: resolving 2,000 distinct images (tag -> digest, manifest, config)
# against go-containerregistry's registry on loopback, with and without a
# modelled round-trip time, at several concurrency bounds (figures go into
# docs/benchmarks.md under "Registry").
set -euo pipefail
cd "$(dirname "$0")/../.."
echo "== registry: resolve 2,000 distinct images against a local registry"
go test -run '^$' -bench Resolve2000 -benchtime 1x ./collectors/registry/ | grep -E '^Benchmark'
