package kscan.rules.registry.stale_image_test

import data.kscan.rules.registry.stale_image as rule

deploy(image) := {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "api", "namespace": "shop"}, "spec": {"template": {"spec": {"containers": [{"name": "app", "image": image}]}}}}

image(stale, days) := {"id": "ghcr.io/org/api@sha256:1111111111111111111111111111111111111111111111111111111111111111", "type": "registry:Image", "object": {}, "attrs": {"refs": ["ghcr.io/org/api:2"], "registry": "ghcr.io", "repository": "ghcr.io/org/api", "status": "resolved", "created": "2021-03-01T00:00:00Z", "age_days": days, "max_age_days": 365, "stale": stale}}

test_old_image_denied if {
	inp := kscan.graph([deploy("ghcr.io/org/api:2"), image(true, 900)])
	some f in rule.deny with input as inp
	contains(f.message, "900 days")
	contains(f.message, "365 days")
}

test_recent_image_allowed if {
	inp := kscan.graph([deploy("ghcr.io/org/api:2"), image(false, 30)])
	count(rule.deny) == 0 with input as inp
}

test_unknown_age_allowed if {
	inp := kscan.graph([deploy("ghcr.io/org/api:2")])
	count(rule.deny) == 0 with input as inp
}
