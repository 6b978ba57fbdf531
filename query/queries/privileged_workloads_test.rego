package kscan.queries.privileged_workloads_test

import data.kscan.queries.privileged_workloads as q

pod(name, spec) := {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": "ops"}, "spec": spec}

test_each_container_listed if {
	p := pod("agent", {"hostPID": true, "containers": [
		{"name": "probe", "image": "a:1", "securityContext": {"privileged": true}},
		{"name": "net", "image": "a:1", "securityContext": {"capabilities": {"add": ["NET_ADMIN", "CHOWN"]}}},
	]})
	rows := q.result with input as kscan.graph([p, pod("web", {"containers": [{"name": "web", "image": "a:1"}]})])
	{[r.workload, r.container, r.reasons] | some r in rows} == {
		["ops/Pod/agent", "probe", ["hostPID: true", "privileged: true"]],
		["ops/Pod/agent", "net", ["hostPID: true", "capability NET_ADMIN"]],
	}
	every r in rows {
		r.pss_level == "privileged"
	}
}

test_plain_pod_not_listed if {
	count(q.result) == 0 with input as kscan.graph([pod("web", {"containers": [{"name": "web", "image": "a:1"}]})])
}
