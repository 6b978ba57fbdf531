#!/usr/bin/env bash
# Builds the real components the integration tests run against (kube-apiserver,
# etcd, the Pulumi CLI and its YAML language host) from the Go module proxy,
# once, into one cache directory. Each binary is rebuilt only when its version
# changes. Usage: hack/testbin.sh [component...]   (default: all that tests
# need; the benchmark peers kube-score, trivy and kubectl only when named)
# Prints nothing but progress on stderr; the directory is $KSCAN_TESTBIN.
set -euo pipefail

KUBE_VERSION=v1.37.2
KUBE_STAGING_VERSION=v0.37.2
ETCD_VERSION=v3.6.8
PULUMI_VERSION=v3.259.0
PULUMI_YAML_VERSION=v1.38.1
KUBE_SCORE_VERSION=v1.20.0
TRIVY_VERSION=v0.74.0

BIN_DIR="${KSCAN_TESTBIN:-${XDG_CACHE_HOME:-$HOME/.cache}/kscan-testbin}"
mkdir -p "$BIN_DIR"
export CGO_ENABLED=0 GOFLAGS=-buildvcs=false

log() { echo "testbin: $*" >&2; }

# build NAME VERSION MODULE PKG [LDFLAGS] [EXTRA_GO_MOD_LINES]
build() {
	local name=$1 version=$2 module=$3 pkg=$4 ldflags=${5:-} extra=${6:-}
	local out="$BIN_DIR/$name" stamp="$BIN_DIR/.$name.version"
	if [[ -x $out && -f $stamp && $(cat "$stamp") == "$version" ]]; then
		return 0
	fi
	log "building $name $version (cold builds take minutes; cached in $BIN_DIR)"
	local work
	work=$(mktemp -d)
	trap 'rm -rf "$work"' RETURN
	cat >"$work/go.mod" <<MOD
module kscan.local/testbin/$name

go 1.26

require $module $version
$extra
MOD
	cat >"$work/tools.go" <<GO
//go:build tools

package tools

import _ "$pkg"
GO
	(cd "$work" && go mod tidy -e >/dev/null 2>&1 || true)
	(cd "$work" && go get "$pkg@$version" >/dev/null 2>"$work/get.log") || { cat "$work/get.log" >&2; return 1; }
	(cd "$work" && go build -trimpath -ldflags "$ldflags" -o "$out.tmp" "$pkg")
	mv "$out.tmp" "$out"
	echo "$version" >"$stamp"
	log "built $out"
}

kube_replaces() {
	local m
	echo "replace ("
	for m in api apiextensions-apiserver apimachinery apiserver cli-runtime client-go cloud-provider \
		cluster-bootstrap code-generator component-base component-helpers controller-manager cri-api \
		cri-client cri-streaming csi-translation-lib dynamic-resource-allocation endpointslice externaljwt \
		kms kube-aggregator kube-controller-manager kube-proxy kube-scheduler kubectl kubelet metrics \
		mount-utils pod-security-admission sample-apiserver streaming; do
		echo "	k8s.io/$m => k8s.io/$m $KUBE_STAGING_VERSION"
	done
	echo ")"
}

want() { [[ $# -eq 0 ]] && return 0; local c; for c in "${COMPONENTS[@]}"; do [[ $c == "$1" ]] && return 0; done; return 1; }
COMPONENTS=("$@")
[[ ${#COMPONENTS[@]} -eq 0 ]] && COMPONENTS=(etcd kube-apiserver kube-controller-manager pulumi pulumi-language-yaml)

if want etcd; then
	build etcd "$ETCD_VERSION" go.etcd.io/etcd/server/v3 go.etcd.io/etcd/server/v3
fi
if want kube-apiserver; then
	build kube-apiserver "$KUBE_VERSION" k8s.io/kubernetes k8s.io/kubernetes/cmd/kube-apiserver \
		"-X k8s.io/component-base/version.gitVersion=$KUBE_VERSION -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=37" \
		"$(kube_replaces)"
fi
if want kube-controller-manager; then
	build kube-controller-manager "$KUBE_VERSION" k8s.io/kubernetes k8s.io/kubernetes/cmd/kube-controller-manager \
		"-X k8s.io/component-base/version.gitVersion=$KUBE_VERSION -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=37" \
		"$(kube_replaces)"
fi
if want pulumi; then
	build pulumi "$PULUMI_VERSION" github.com/pulumi/pulumi/pkg/v3 github.com/pulumi/pulumi/pkg/v3/cmd/pulumi \
		"-X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$PULUMI_VERSION"
fi
if want pulumi-language-yaml; then
	build pulumi-language-yaml "$PULUMI_YAML_VERSION" github.com/pulumi/pulumi-yaml github.com/pulumi/pulumi-yaml/cmd/pulumi-language-yaml
fi
# Peers for make bench only (never for tests): other scanners timed on the
# same synthetic cluster. Trivy needs the encoding/json/v2 experiment.
if want kube-score; then
	build kube-score "$KUBE_SCORE_VERSION" github.com/zegl/kube-score github.com/zegl/kube-score/cmd/kube-score
fi
if want trivy; then
	GOEXPERIMENT=jsonv2 build trivy "$TRIVY_VERSION" github.com/aquasecurity/trivy github.com/aquasecurity/trivy/cmd/trivy
fi
# The live benchmark's baseline (hack/bench.d/live.sh): kubectl at the
# API server's version, from the same module versions.
if want kubectl; then
	build kubectl "$KUBE_VERSION" k8s.io/kubernetes k8s.io/kubernetes/cmd/kubectl \
		"-X k8s.io/component-base/version.gitVersion=$KUBE_VERSION -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=37" \
		"$(kube_replaces)"
fi
echo "$BIN_DIR"
