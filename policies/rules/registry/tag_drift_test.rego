package kscan.rules.registry.tag_drift_test

import data.kscan.rules.registry.tag_drift as rule

old := "sha256:1111111111111111111111111111111111111111111111111111111111111111"

new := "sha256:2222222222222222222222222222222222222222222222222222222222222222"

pod(name, image, image_id) := {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": "shop"}, "spec": {"containers": [{"name": "app", "image": image}]}, "status": {"containerStatuses": [{"name": "app", "image": image, "imageID": image_id}]}}

image(status, digest) := {"id": concat("@", ["registry.example.com/shop/api", digest]), "type": "registry:Image", "object": {}, "attrs": {"refs": ["registry.example.com/shop/api:1.4"], "registry": "registry.example.com", "repository": "registry.example.com/shop/api", "status": status, "digest": digest}}

test_tag_moved_denied if {
	inp := kscan.graph([pod("a", "registry.example.com/shop/api:1.4", concat("@", ["registry.example.com/shop/api", old])), image("resolved", new)])
	some f in rule.deny with input as inp
	f.key == "shop/Pod/a"
	contains(f.message, old)
	contains(f.message, new)
}

test_docker_pullable_prefix_denied if {
	inp := kscan.graph([pod("a", "registry.example.com/shop/api:1.4", concat("@", ["docker-pullable://registry.example.com/shop/api", old])), image("resolved", new)])
	count(rule.deny) == 1 with input as inp
}

test_same_digest_allowed if {
	inp := kscan.graph([pod("a", "registry.example.com/shop/api:1.4", concat("@", ["registry.example.com/shop/api", new])), image("resolved", new)])
	count(rule.deny) == 0 with input as inp
}

test_unresolved_allowed if {
	inp := kscan.graph([pod("a", "registry.example.com/shop/api:1.4", concat("@", ["registry.example.com/shop/api", old])), image("error", new)])
	count(rule.deny) == 0 with input as inp
}

test_offline_allowed if {
	inp := kscan.graph([pod("a", "registry.example.com/shop/api:1.4", concat("@", ["registry.example.com/shop/api", old]))])
	count(rule.deny) == 0 with input as inp
}

test_config_digest_image_id_allowed if {
	inp := kscan.graph([pod("a", "registry.example.com/shop/api:1.4", old), image("resolved", new)])
	count(rule.deny) == 0 with input as inp
}
