package kscan.rules.k8s.missing_resource_limits_test

import data.kscan.rules.k8s.missing_resource_limits as rule

pod(resources) := {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "namespace": "ns"}, "spec": {"containers": [{"name": "app", "image": "x", "resources": resources}]}}

test_no_resources_denied if {
	inp := kscan.graph([pod(null)])
	some f in rule.deny with input as inp
	f.key == "ns/Pod/p"
	f.discriminator == "app"
}

test_cpu_limit_only_denied if {
	inp := kscan.graph([pod({"limits": {"cpu": "100m"}})])
	count(rule.deny) == 1 with input as inp
}

test_requests_only_denied if {
	inp := kscan.graph([pod({"requests": {"memory": "64Mi", "cpu": "100m"}})])
	count(rule.deny) == 1 with input as inp
}

test_init_container_denied if {
	p := {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}, "spec": {
		"initContainers": [{"name": "init", "image": "x"}],
		"containers": [{"name": "app", "image": "x", "resources": {"limits": {"memory": "128Mi"}}}],
	}}
	inp := kscan.graph([p])
	{f.discriminator | some f in rule.deny} == {"init"} with input as inp
}

test_memory_limit_allowed if {
	inp := kscan.graph([pod({"limits": {"memory": "128Mi"}})])
	count(rule.deny) == 0 with input as inp
}

test_ephemeral_container_allowed if {
	p := {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}, "spec": {
		"containers": [{"name": "app", "image": "x", "resources": {"limits": {"memory": "128Mi"}}}],
		"ephemeralContainers": [{"name": "debug", "image": "busybox"}],
	}}
	inp := kscan.graph([p])
	count(rule.deny) == 0 with input as inp
}
