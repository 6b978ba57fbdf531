package kscan.rules.pulumi.drift_test

import data.kscan.rules.pulumi.drift as rule

urn := "urn:pulumi:prod::shop::kubernetes:apps/v1:Deployment::web"

deploy(replicas, team) := {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web", "namespace": "shop", "labels": {"team": team}}, "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": "web"}}, "template": {"metadata": {"labels": {"app": "web"}}, "spec": {"containers": [{"name": "web", "image": "nginx:1.27"}]}}}}

declared(obj) := {"id": urn, "type": "k8s:apps/Deployment", "object": obj, "attrs": {"k8s_id": "shop/Deployment/web"}, "source": {"kind": "pulumi-state"}}

live(obj) := {
	"id": "shop/Deployment/web", "type": "k8s:apps/Deployment", "object": json.patch(obj, [
		{"op": "add", "path": "/metadata/uid", "value": "0b6f"},
		{"op": "add", "path": "/metadata/resourceVersion", "value": "4711"},
		{"op": "add", "path": "/spec/strategy", "value": {"type": "RollingUpdate"}},
		{"op": "add", "path": "/status", "value": {"readyReplicas": 2}},
	]),
	"source": {"kind": "cluster"},
}

test_changed_replicas_and_label_denied if {
	inp := kscan.graph([declared(deploy(2, "shop")), live(deploy(3, "ops"))])
	some f in rule.deny with input as inp
	f.message == "live object shop/Deployment/web differs from the stack in: metadata.labels.team, spec.replicas"
}

test_missing_denied if {
	other := json.patch(live(deploy(2, "shop")), [{"op": "replace", "path": "/object/metadata/name", "value": "api"}, {"op": "replace", "path": "/id", "value": "shop/Deployment/api"}])
	inp := kscan.graph([declared(deploy(2, "shop")), other])
	some f in rule.deny with input as inp
	contains(f.message, "missing from the cluster")
}

test_untouched_allowed if {
	inp := kscan.graph([declared(deploy(2, "shop")), live(deploy(2, "shop"))])
	count(rule.deny) == 0 with input as inp
}

test_no_cluster_scanned_allowed if {
	inp := kscan.graph([declared(deploy(2, "shop"))])
	count(rule.deny) == 0 with input as inp
}
