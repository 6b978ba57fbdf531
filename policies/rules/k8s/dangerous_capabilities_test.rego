package kscan.rules.k8s.dangerous_capabilities_test

import data.kscan.rules.k8s.dangerous_capabilities as rule

pod(add) := {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "namespace": "ns"}, "spec": {"containers": [{"name": "app", "image": "x", "securityContext": {"capabilities": {"add": add}}}]}}

test_sys_admin_denied if {
	inp := kscan.graph([pod(["SYS_ADMIN"])])
	some f in rule.deny with input as inp
	f.key == "ns/Pod/p"
	f.discriminator == "app"
	contains(f.message, "SYS_ADMIN")
}

test_all_lowercase_denied if {
	inp := kscan.graph([pod(["all"])])
	count(rule.deny) == 1 with input as inp
}

test_cap_prefix_mixed_case_denied if {
	inp := kscan.graph([pod(["cap_Net_Admin"])])
	some f in rule.deny with input as inp
	contains(f.message, "NET_ADMIN")
}

test_each_dangerous_capability_denied if {
	every cap in ["ALL", "SYS_ADMIN", "NET_ADMIN", "SYS_PTRACE", "SYS_MODULE", "DAC_READ_SEARCH", "BPF"] {
		count(rule.deny) == 1 with input as kscan.graph([pod([cap])])
	}
}

test_several_in_one_finding_denied if {
	inp := kscan.graph([pod(["NET_BIND_SERVICE", "SYS_PTRACE", "BPF"])])
	some f in rule.deny with input as inp
	count(rule.deny) == 1 with input as inp
	contains(f.message, "BPF, SYS_PTRACE")
}

test_harmless_capabilities_allowed if {
	inp := kscan.graph([pod(["NET_BIND_SERVICE", "CHOWN", "SETPCAP"])])
	count(rule.deny) == 0 with input as inp
}

test_drop_all_allowed if {
	p := {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}, "spec": {"containers": [{"name": "app", "image": "x", "securityContext": {"capabilities": {"drop": ["ALL"], "add": null}}}]}}
	inp := kscan.graph([p])
	count(rule.deny) == 0 with input as inp
}

test_privileged_left_to_privileged_container_allowed if {
	p := {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "namespace": "ns"}, "spec": {"containers": [{"name": "app", "image": "x", "securityContext": {"privileged": true, "capabilities": {"add": ["SYS_ADMIN"]}}}]}}
	count(rule.deny) == 0 with input as kscan.graph([p])
}
