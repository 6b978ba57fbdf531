#!/usr/bin/env bash
# Rebuilds testdata/realworld from the upstream repositories at the commits
# pinned below. Only data files (manifests, charts) and each project's
# licence are copied. Trimming (written in testdata/realworld/SOURCE.md):
# CustomResourceDefinition documents are dropped (hundreds of KB of OpenAPI
# schema each, no workload, RBAC or exposure in them) and kube-prometheus'
# 1 MB of Grafana dashboard JSON is left out. Everything else is byte-for-byte
# upstream.
#
# Usage: hack/realworld.sh            (clones into a temporary directory)
#        REALWORLD_MIRROR=dir hack/realworld.sh   (reuse bare clones
#        named dir/<owner>+<name>/repo)
set -euo pipefail

out="$(cd "$(dirname "$0")/.." && pwd)/testdata/realworld"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

# repo owner/name -> git dir holding commit.
gitdir() {
	local repo=$1 commit=$2
	local m="${REALWORLD_MIRROR:-}/${repo/\//+}/repo"
	if [[ -n "${REALWORLD_MIRROR:-}" && -d "$m" ]]; then
		echo "$m"
		return
	fi
	local d="$tmp/${repo/\//+}"
	if [[ ! -d "$d" ]]; then
		git clone -q --bare --filter=blob:none "https://github.com/$repo" "$d" >&2
	fi
	git -C "$d" cat-file -e "$commit^{commit}"
	echo "$d"
}

# show repo commit path -> file content on stdout.
show() { git -C "$(gitdir "$1" "$2")" show "$2:$3"; }

# nocrd drops YAML documents whose kind is CustomResourceDefinition and keeps
# every other line as it is.
nocrd() {
	python3 -c '
import re, sys
docs = re.split(r"(?m)^(?=---(?:[ \t].*)?$)", sys.stdin.read())
keep = [d for d in docs if not re.search(r"(?m)^kind: CustomResourceDefinition[ \t]*$", d)]
out = "".join(keep)
sys.stdout.write(out[4:] if out.startswith("---\n") else out)
'
}

# tree repo commit dir dest [exclude-regex]: copy a directory.
tree() {
	local repo=$1 commit=$2 dir=$3 dest=$4 exclude=${5:-^$}
	local g
	g=$(gitdir "$repo" "$commit")
	git -C "$g" ls-tree -r --name-only "$commit" "$dir" | grep -Ev "$exclude" | while read -r f; do
		mkdir -p "$dest/$(dirname "${f#"$dir"/}")"
		git -C "$g" show "$commit:$f" >"$dest/${f#"$dir"/}"
	done
}

ARGOCD=37ee0097cf851bc2dd7665fc081bbce61a7e836e
KUBEPROM=4d719f1dea8853540b3823ab1fbe6be74a9953b3
CALICO=87c15906f20c4ca1fda55af92295e7678b0cc0b2
INGRESS=dbb11b92ddb77bee9c35e462479129354c84f939
ISTIO=86c9f01fd735fb01d8192f5bcaf0d424afb7f14c
PROMCHARTS=cf408a290aec489277a94450bb3511432477a53a

rm -rf "$out"/{argocd,kube-prometheus,calico,ingress-nginx,istio-bookinfo,prometheus-chart}
mkdir -p "$out"/{argocd,kube-prometheus,calico,ingress-nginx,istio-bookinfo,prometheus-chart}

show argoproj/argo-cd $ARGOCD manifests/install.yaml | nocrd >"$out/argocd/install.yaml"
show argoproj/argo-cd $ARGOCD LICENSE >"$out/argocd/LICENSE"

tree prometheus-operator/kube-prometheus $KUBEPROM manifests "$out/kube-prometheus/manifests" \
	'CustomResourceDefinition\.yaml$|grafana-dashboardDefinitions\.yaml$'
show prometheus-operator/kube-prometheus $KUBEPROM LICENSE >"$out/kube-prometheus/LICENSE"

show projectcalico/calico $CALICO manifests/calico.yaml | nocrd >"$out/calico/calico.yaml"
show projectcalico/calico $CALICO LICENSE.md >"$out/calico/LICENSE.md"

show kubernetes/ingress-nginx $INGRESS deploy/static/provider/cloud/deploy.yaml >"$out/ingress-nginx/deploy.yaml"
show kubernetes/ingress-nginx $INGRESS LICENSE >"$out/ingress-nginx/LICENSE"

show istio/istio $ISTIO samples/bookinfo/platform/kube/bookinfo.yaml >"$out/istio-bookinfo/bookinfo.yaml"
show istio/istio $ISTIO samples/bookinfo/networking/bookinfo-gateway.yaml >"$out/istio-bookinfo/bookinfo-gateway.yaml"
show istio/istio $ISTIO samples/bookinfo/gateway-api/bookinfo-gateway.yaml >"$out/istio-bookinfo/gateway-api-bookinfo-gateway.yaml"
show istio/istio $ISTIO samples/bookinfo/demo-profile-no-gateways.yaml >"$out/istio-bookinfo/demo-profile-no-gateways.yaml"
show istio/istio $ISTIO LICENSE >"$out/istio-bookinfo/LICENSE"

# The prometheus chart with its four dependencies vendored into charts/, as
# `helm dependency build` would (same versions, from the same repository).
pc=prometheus-community/helm-charts
tree $pc $PROMCHARTS charts/prometheus "$out/prometheus-chart/prometheus" '/ci/|README\.md$'
for dep in alertmanager kube-state-metrics prometheus-node-exporter prometheus-pushgateway; do
	tree $pc $PROMCHARTS "charts/$dep" "$out/prometheus-chart/prometheus/charts/$dep" '/ci/|README\.md$'
done
show $pc $PROMCHARTS LICENSE >"$out/prometheus-chart/LICENSE"

du -sh "$out"/*/
