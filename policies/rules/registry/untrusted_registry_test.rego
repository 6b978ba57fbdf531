package kscan.rules.registry.untrusted_registry_test

import data.kscan.rules.registry.untrusted_registry as rule

deploy(image) := {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "api", "namespace": "shop"}, "spec": {"template": {"spec": {"containers": [{"name": "app", "image": image}]}}}}

image(allowed) := {"id": "docker.io/library/nginx:1.27", "type": "registry:Image", "object": {}, "attrs": {"refs": ["docker.io/library/nginx:1.27"], "registry": "docker.io", "repository": "docker.io/library/nginx", "status": "skipped", "allowed": allowed}}

test_outside_allow_list_denied if {
	inp := kscan.graph([deploy("nginx:1.27"), image(false)])
	some f in rule.deny with input as inp
	contains(f.message, "docker.io")
}

test_inside_allow_list_allowed if {
	inp := kscan.graph([deploy("nginx:1.27"), image(true)])
	count(rule.deny) == 0 with input as inp
}

test_no_allow_list_allowed if {
	inp := kscan.graph([deploy("nginx:1.27")])
	count(rule.deny) == 0 with input as inp
}
