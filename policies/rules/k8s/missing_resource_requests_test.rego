package kscan.rules.k8s.missing_resource_requests_test

import data.kscan.rules.k8s.missing_resource_requests as rule

pod(resources) := {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "namespace": "ns"}, "spec": {"containers": [{"name": "app", "image": "x", "resources": resources}]}}

test_no_requests_denied if {
	inp := kscan.graph([pod(null)])
	some f in rule.deny with input as inp
	f.key == "ns/Pod/p"
	contains(f.message, "cpu or memory")
}

test_cpu_missing_denied if {
	inp := kscan.graph([pod({"requests": {"memory": "64Mi"}})])
	some f in rule.deny with input as inp
	contains(f.message, "no cpu request")
}

test_memory_missing_denied if {
	inp := kscan.graph([pod({"requests": {"cpu": "100m"}, "limits": {"memory": "128Mi"}})])
	some f in rule.deny with input as inp
	contains(f.message, "no memory request")
}

test_null_requests_denied if {
	inp := kscan.graph([pod({"requests": null})])
	count(rule.deny) == 1 with input as inp
}

test_both_allowed if {
	inp := kscan.graph([pod({"requests": {"cpu": "100m", "memory": "64Mi"}})])
	count(rule.deny) == 0 with input as inp
}

test_ephemeral_container_allowed if {
	p := {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}, "spec": {
		"containers": [{"name": "app", "image": "x", "resources": {"requests": {"cpu": "1", "memory": "1Gi"}}}],
		"ephemeralContainers": [{"name": "debug", "image": "busybox"}],
	}}
	inp := kscan.graph([p])
	count(rule.deny) == 0 with input as inp
}
