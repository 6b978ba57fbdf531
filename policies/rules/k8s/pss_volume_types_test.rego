package kscan.rules.k8s.pss_volume_types_test

import data.kscan.rules.k8s.pss_volume_types as rule

pod(spec) := {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "namespace": "ns"}, "spec": spec}

test_failing_pod_denied if {
	inp := kscan.graph([pod({"containers": [{"name": "app", "image": "registry.example.com/app:1.0", "securityContext": {"allowPrivilegeEscalation": false, "capabilities": {"drop": ["ALL"]}}}], "securityContext": {"runAsNonRoot": true, "seccompProfile": {"type": "RuntimeDefault"}}, "volumes": [{"name": "data", "nfs": {"server": "nfs.example.com", "path": "/exports"}}]})])
	some f in rule.deny with input as inp
	f.key == "ns/Pod/p"
	contains(f.message, "Pod Security Standards")
}

test_restricted_pod_allowed if {
	inp := kscan.graph([pod({"containers": [{"name": "app", "image": "registry.example.com/app:1.0", "securityContext": {"allowPrivilegeEscalation": false, "capabilities": {"drop": ["ALL"]}}}], "securityContext": {"runAsNonRoot": true, "seccompProfile": {"type": "RuntimeDefault"}}})])
	count(rule.deny) == 0 with input as inp
}
