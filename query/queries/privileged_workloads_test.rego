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

# Without a host namespace only containers that privilege or add a
# root-equivalent capability are rows; with one, every container is.
test_containers_of_plain_and_host_pods if {
	plain := pod("plain", {"containers": [
		{"name": "priv", "image": "a:1", "securityContext": {"privileged": true}},
		{"name": "caps", "image": "a:1", "securityContext": {"capabilities": {"add": ["cap_sys_admin", "CHOWN"]}}},
		{"name": "harmless", "image": "a:1", "securityContext": {"capabilities": {"add": ["CHOWN"]}, "privileged": false}},
		{"name": "nothing", "image": "a:1", "securityContext": {"runAsNonRoot": true}},
	]})
	host := pod("host", {"hostNetwork": true, "hostIPC": true, "initContainers": [{"name": "init", "image": "a:1"}], "containers": [{"name": "main", "image": "a:1"}]})
	rows := q.result with input as kscan.graph([plain, host])
	{[r.workload, r.container, r.reasons] | some r in rows} == {
		["ops/Pod/plain", "priv", ["privileged: true"]],
		["ops/Pod/plain", "caps", ["capability CAP_SYS_ADMIN"]],
		["ops/Pod/host", "init", ["hostNetwork: true", "hostIPC: true"]],
		["ops/Pod/host", "main", ["hostNetwork: true", "hostIPC: true"]],
	}
}
