package kscan.rules.k8s.host_namespace_test

import data.kscan.rules.k8s.host_namespace as rule

pod(spec) := {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "namespace": "ns"}, "spec": object.union({"containers": [{"name": "app", "image": "x"}]}, spec)}

test_host_network_denied if {
	inp := kscan.graph([pod({"hostNetwork": true})])
	some f in rule.deny with input as inp
	f.key == "ns/Pod/p"
	contains(f.message, "host namespaces (hostNetwork=true)")
}

test_host_pid_denied if {
	inp := kscan.graph([pod({"hostPID": true})])
	count(rule.deny) == 1 with input as inp
}

test_host_ipc_denied if {
	inp := kscan.graph([pod({"hostIPC": true})])
	count(rule.deny) == 1 with input as inp
}

test_all_three_one_finding_denied if {
	inp := kscan.graph([pod({"hostNetwork": true, "hostPID": true, "hostIPC": true})])
	[f] := [f | some f in rule.deny] with input as inp
	contains(f.message, "hostNetwork=true, hostPID=true, hostIPC=true")
}

test_cronjob_denied if {
	cj := {"apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": "c"}, "spec": {"jobTemplate": {"spec": {"template": {"spec": {"hostPID": true, "containers": [{"name": "a", "image": "x"}]}}}}}}
	inp := kscan.graph([cj])
	some f in rule.deny with input as inp
	f.key == "default/CronJob/c"
}

test_false_allowed if {
	inp := kscan.graph([pod({"hostNetwork": false, "hostPID": false, "hostIPC": false})])
	count(rule.deny) == 0 with input as inp
}

test_unset_allowed if {
	inp := kscan.graph([pod({})])
	count(rule.deny) == 0 with input as inp
}
