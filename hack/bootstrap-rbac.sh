#!/usr/bin/env bash
# Writes graph/builtin/bootstrap-v1.NN.yaml, Kubernetes' bootstrap RBAC
# policy, from the real API server (and kube-controller-manager, for
# aggregated roles) of $KSCAN_TESTBIN, started by internal/testenv.
#
# To add a Kubernetes version: build its components into their own
# directory (KUBE_VERSION/KUBE_STAGING_VERSION in hack/testbin.sh, with
# KSCAN_TESTBIN=~/.cache/kscan-testbin-v1.NN), then run
#   KSCAN_TESTBIN=~/.cache/kscan-testbin-v1.NN hack/bootstrap-rbac.sh
# and commit the new file; kscan picks every embedded version up.
# Without KSCAN_WRITE_BOOTSTRAP the same test checks the shipped file.
set -euo pipefail
cd "$(dirname "$0")/.."
KSCAN_WRITE_BOOTSTRAP=1 go test ./rbac -run '^TestBootstrapMatchesServer$' -count=1 -v "$@"
