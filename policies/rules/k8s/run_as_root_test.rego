package kscan.rules.k8s.run_as_root_test

import data.kscan.rules.k8s.run_as_root as rule

pod(pod_sc, containers) := {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "namespace": "ns"}, "spec": {"securityContext": pod_sc, "containers": containers}}

test_nothing_set_denied if {
	inp := kscan.graph([pod({}, [{"name": "app", "image": "x"}])])
	some f in rule.deny with input as inp
	f.key == "ns/Pod/p"
	contains(f.message, "runAsNonRoot")
}

test_container_uid_zero_denied if {
	inp := kscan.graph([pod({"runAsNonRoot": true}, [{"name": "app", "image": "x", "securityContext": {"runAsUser": 0}}])])
	some f in rule.deny with input as inp
	contains(f.message, "runAsUser: 0")
}

test_pod_uid_zero_denied if {
	inp := kscan.graph([pod({"runAsUser": 0, "runAsNonRoot": true}, [{"name": "app", "image": "x"}])])
	count(rule.deny) == 1 with input as inp
}

test_container_overrides_pod_non_root_denied if {
	inp := kscan.graph([pod({"runAsNonRoot": true}, [{"name": "app", "image": "x", "securityContext": {"runAsNonRoot": false}}])])
	count(rule.deny) == 1 with input as inp
}

test_uid_without_run_as_non_root_denied if {
	inp := kscan.graph([pod({}, [{"name": "app", "image": "x", "securityContext": {"runAsUser": 1000}}])])
	count(rule.deny) == 1 with input as inp
}

test_init_container_denied if {
	p := {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}, "spec": {
		"initContainers": [{"name": "init", "image": "x"}],
		"containers": [{"name": "app", "image": "x", "securityContext": {"runAsNonRoot": true}}],
	}}
	inp := kscan.graph([p])
	{f.discriminator | some f in rule.deny} == {"init"} with input as inp
}

test_pod_non_root_allowed if {
	inp := kscan.graph([pod({"runAsNonRoot": true, "runAsUser": 1000}, [{"name": "app", "image": "x"}, {"name": "side", "image": "y"}])])
	count(rule.deny) == 0 with input as inp
}

test_container_non_root_allowed if {
	inp := kscan.graph([pod({}, [{"name": "app", "image": "x", "securityContext": {"runAsNonRoot": true}}])])
	count(rule.deny) == 0 with input as inp
}

test_container_uid_overrides_pod_zero_allowed if {
	inp := kscan.graph([pod({"runAsUser": 0, "runAsNonRoot": true}, [{"name": "app", "image": "x", "securityContext": {"runAsUser": 1000}}])])
	count(rule.deny) == 0 with input as inp
}

test_privileged_left_to_privileged_container_allowed if {
	inp := kscan.graph([pod({}, [{"name": "app", "image": "x", "securityContext": {"privileged": true, "runAsUser": 0}}])])
	count(rule.deny) == 0 with input as inp
}
