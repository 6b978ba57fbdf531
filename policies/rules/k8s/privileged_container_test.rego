package kscan.rules.k8s.privileged_container_test

import data.kscan.rules.k8s.privileged_container as rule

deploy(containers) := {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "d", "namespace": "ns"}, "spec": {"template": {"spec": {"containers": containers}}}}

test_privileged_denied if {
	inp := kscan.graph([deploy([{"name": "app", "image": "x", "securityContext": {"privileged": true}}])])
	some f in rule.deny with input as inp
	f.key == "ns/Deployment/d"
	contains(f.message, `privileged (container "app" must not set securityContext.privileged=true)`)
}

test_one_finding_per_workload_naming_each_container_denied if {
	inp := kscan.graph([deploy([
		{"name": "a", "image": "x", "securityContext": {"privileged": true}},
		{"name": "b", "image": "x", "securityContext": {"privileged": true}},
		{"name": "c", "image": "x"},
	])])
	[f] := [f | some f in rule.deny] with input as inp
	contains(f.message, `containers "a", "b" must not set`)
}

test_init_container_denied if {
	p := {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}, "spec": {
		"initContainers": [{"name": "setup", "image": "x", "securityContext": {"privileged": true}}],
		"containers": [{"name": "app", "image": "x"}],
	}}
	inp := kscan.graph([p])
	some f in rule.deny with input as inp
	contains(f.message, `"setup"`)
}

test_not_privileged_allowed if {
	inp := kscan.graph([deploy([
		{"name": "a", "image": "x", "securityContext": {"privileged": false}},
		{"name": "b", "image": "x", "securityContext": null},
		{"name": "c", "image": "x"},
	])])
	count(rule.deny) == 0 with input as inp
}

test_string_true_is_not_privileged_allowed if {
	inp := kscan.graph([deploy([{"name": "a", "image": "x", "securityContext": {"privileged": "true"}}])])
	count(rule.deny) == 0 with input as inp
}
