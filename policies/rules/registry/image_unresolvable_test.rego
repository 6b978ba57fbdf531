package kscan.rules.registry.image_unresolvable_test

import data.kscan.rules.registry.image_unresolvable as rule

deploy(image) := {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "api", "namespace": "shop"}, "spec": {"template": {"spec": {"containers": [{"name": "app", "image": image}]}}}}

image(status) := {"id": "registry.example.com/shop/api:9.9", "type": "registry:Image", "object": {}, "attrs": {"refs": ["registry.example.com/shop/api:9.9"], "registry": "registry.example.com", "repository": "registry.example.com/shop/api", "status": status}}

test_not_found_denied if {
	inp := kscan.graph([deploy("registry.example.com/shop/api:9.9"), image("not-found")])
	some f in rule.deny with input as inp
	f.key == "shop/Deployment/api"
	f.discriminator == "app"
}

test_registry_error_allowed if {
	inp := kscan.graph([deploy("registry.example.com/shop/api:9.9"), image("error")])
	count(rule.deny) == 0 with input as inp
}

test_offline_allowed if {
	inp := kscan.graph([deploy("registry.example.com/shop/api:9.9")])
	count(rule.deny) == 0 with input as inp
}
