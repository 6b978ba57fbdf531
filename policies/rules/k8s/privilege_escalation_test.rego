package kscan.rules.k8s.privilege_escalation_test

import data.kscan.rules.k8s.privilege_escalation as rule

pod(containers) := {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "namespace": "ns"}, "spec": {"containers": containers}}

test_unset_denied if {
	inp := kscan.graph([pod([{"name": "app", "image": "x"}])])
	some f in rule.deny with input as inp
	f.key == "ns/Pod/p"
	contains(f.message, `container "app" must set securityContext.allowPrivilegeEscalation=false`)
}

test_explicit_true_denied if {
	inp := kscan.graph([pod([{"name": "app", "image": "x", "securityContext": {"allowPrivilegeEscalation": true}}])])
	count(rule.deny) == 1 with input as inp
}

test_null_security_context_denied if {
	inp := kscan.graph([pod([{"name": "app", "image": "x", "securityContext": null}])])
	count(rule.deny) == 1 with input as inp
}

test_only_the_container_that_allows_it_denied if {
	inp := kscan.graph([pod([
		{"name": "good", "image": "x", "securityContext": {"allowPrivilegeEscalation": false}},
		{"name": "bad", "image": "x"},
	])])
	[f] := [f | some f in rule.deny] with input as inp
	contains(f.message, `container "bad" must set`)
	not contains(f.message, `"good"`)
}

# Privileged implies privilege escalation (Kubernetes refuses
# allowPrivilegeEscalation: false with privileged: true).
test_privileged_denied if {
	inp := kscan.graph([pod([{"name": "app", "image": "x", "securityContext": {"privileged": true}}])])
	count(rule.deny) == 1 with input as inp
}

test_false_allowed if {
	inp := kscan.graph([pod([{"name": "app", "image": "x", "securityContext": {"allowPrivilegeEscalation": false}}])])
	count(rule.deny) == 0 with input as inp
}
