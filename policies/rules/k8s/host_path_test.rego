package kscan.rules.k8s.host_path_test

import data.kscan.rules.k8s.host_path as rule

pod(volumes) := {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "namespace": "ns"}, "spec": {"containers": [{"name": "app", "image": "x"}], "volumes": volumes}}

test_host_path_denied if {
	inp := kscan.graph([pod([{"name": "logs", "hostPath": {"path": "/var/log"}}])])
	some f in rule.deny with input as inp
	f.key == "ns/Pod/p"
	contains(f.message, `mounts hostPath "/var/log" as volume "logs"`)
}

test_docker_socket_denied if {
	inp := kscan.graph([pod([
		{"name": "data", "emptyDir": {}},
		{"name": "sock", "hostPath": {"path": "/var/run/docker.sock", "type": "Socket"}},
	])])
	count(rule.deny) == 1 with input as inp
	some f in rule.deny with input as inp
	contains(f.message, "docker.sock")
	not contains(f.message, `"data"`)
}

test_several_host_paths_one_finding_denied if {
	inp := kscan.graph([pod([
		{"name": "proc", "hostPath": {"path": "/proc"}},
		{"name": "data", "emptyDir": {}},
		{"name": "sys", "hostPath": {"path": "/sys"}},
	])])
	count(rule.deny) == 1 with input as inp
	some f in rule.deny with input as inp
	contains(f.message, `mounts 2 hostPath volumes: "/proc" as volume "proc", "/sys" as volume "sys"`)
}

test_deployment_denied if {
	d := {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "d"}, "spec": {"template": {"spec": {
		"containers": [{"name": "a", "image": "x"}],
		"volumes": [{"name": "h", "hostPath": {"path": "/"}}],
	}}}}
	inp := kscan.graph([d])
	count(rule.deny) == 1 with input as inp
}

test_other_volumes_allowed if {
	inp := kscan.graph([pod([
		{"name": "data", "emptyDir": {}},
		{"name": "cfg", "configMap": {"name": "c"}},
		{"name": "pvc", "persistentVolumeClaim": {"claimName": "c"}},
	])])
	count(rule.deny) == 0 with input as inp
}

test_no_volumes_allowed if {
	inp := kscan.graph([pod(null)])
	count(rule.deny) == 0 with input as inp
}
