package kscan.rules.k8s.writable_root_fs_test

import data.kscan.rules.k8s.writable_root_fs as rule

pod(containers) := {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "namespace": "ns"}, "spec": {"containers": containers}}

test_unset_denied if {
	inp := kscan.graph([pod([{"name": "app", "image": "x"}])])
	some f in rule.deny with input as inp
	f.key == "ns/Pod/p"
	f.discriminator == "app"
}

test_false_denied if {
	inp := kscan.graph([pod([{"name": "app", "image": "x", "securityContext": {"readOnlyRootFilesystem": false}}])])
	count(rule.deny) == 1 with input as inp
}

test_one_of_two_denied if {
	inp := kscan.graph([pod([
		{"name": "ro", "image": "x", "securityContext": {"readOnlyRootFilesystem": true}},
		{"name": "rw", "image": "x"},
	])])
	{f.discriminator | some f in rule.deny} == {"rw"} with input as inp
}

test_ephemeral_container_denied if {
	p := {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}, "spec": {
		"containers": [{"name": "app", "image": "x", "securityContext": {"readOnlyRootFilesystem": true}}],
		"ephemeralContainers": [{"name": "debug", "image": "busybox"}],
	}}
	inp := kscan.graph([p])
	{f.discriminator | some f in rule.deny} == {"debug"} with input as inp
}

test_read_only_allowed if {
	inp := kscan.graph([pod([{"name": "app", "image": "x", "securityContext": {"readOnlyRootFilesystem": true}}])])
	count(rule.deny) == 0 with input as inp
}
