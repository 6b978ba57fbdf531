package kscan.rules.k8s.image_tag_latest_test

import data.kscan.rules.k8s.image_tag_latest as rule

pod(image) := {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "namespace": "ns"}, "spec": {"containers": [{"name": "app", "image": image}]}}

test_untagged_denied if {
	inp := kscan.graph([pod("nginx")])
	count(rule.deny) == 1 with input as inp
}

test_latest_denied if {
	inp := kscan.graph([pod("nginx:latest")])
	count(rule.deny) == 1 with input as inp
}

test_registry_port_is_not_a_tag_denied if {
	inp := kscan.graph([pod("registry.local:5000/app")])
	count(rule.deny) == 1 with input as inp
}

test_init_container_denied if {
	p := {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "d"}, "spec": {"template": {"spec": {
		"initContainers": [{"name": "init", "image": "busybox"}],
		"containers": [{"name": "app", "image": "nginx:1.27"}],
	}}}}
	inp := kscan.graph([p])
	some f in rule.deny with input as inp
	f.key == "default/Deployment/d"
}

test_version_tag_allowed if {
	inp := kscan.graph([pod("nginx:1.27")])
	count(rule.deny) == 0 with input as inp
}

test_digest_allowed if {
	inp := kscan.graph([pod("nginx@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef")])
	count(rule.deny) == 0 with input as inp
}

test_message_names_resolved_digest_denied if {
	inp := kscan.graph([pod("nginx:latest")])
	c := inp.k8s.workloads[0].containers[0]
	inp2 := json.patch(inp, [{"op": "add", "path": "/k8s/workloads/0/containers/0/resolved_digest", "value": "sha256:abc"}])
	some f in rule.deny with input as inp2
	contains(f.message, "resolves to nginx:latest@sha256:abc now")
	c.name == "app"
}
