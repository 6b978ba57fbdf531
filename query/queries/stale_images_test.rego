package kscan.queries.stale_images_test

import data.kscan.queries.stale_images as q

deploy := {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "api", "namespace": "shop"}, "spec": {"selector": {"matchLabels": {"app": "api"}}, "template": {"metadata": {"labels": {"app": "api"}}, "spec": {"containers": [
	{"name": "old", "image": "registry.example.com/shop/old:1"},
	{"name": "old-sidecar", "image": "registry.example.com/shop/old:1"},
	{"name": "new", "image": "registry.example.com/shop/new:1"},
]}}}}

# An image node as the registry collector writes it for a resolved tag.
image(repo, created, age) := {"id": sprintf("registry.example.com/shop/%s@sha256:%s", [repo, repo]), "type": "registry:Image", "source": {"kind": "registry"}, "object": {}, "attrs": {
	"status": "resolved", "created": created, "age_days": age,
	"refs": [sprintf("registry.example.com/shop/%s:1", [repo])],
	"registry": "registry.example.com", "repository": sprintf("registry.example.com/shop/%s", [repo]),
}}

objects := [deploy, image("old", "2026-01-01T00:00:00Z", 200), image("new", "2026-07-10T00:00:00Z", 3)]

test_old_image_is_stale if {
	rows := q.result with input as kscan.graph(objects)
	rows == {{
		"image": "registry.example.com/shop/old@sha256:old", "created": "2026-01-01T00:00:00Z", "age_days": 200,
		"containers": 2, "workloads": ["shop/Deployment/api"],
	}}
}

test_threshold_from_param if {
	inp := object.union(kscan.graph(objects), {"params": {"days": 1}})
	count(q.result) == 2 with input as inp
}

test_no_registry_data_no_answer if {
	count(q.result) == 0 with input as kscan.graph([deploy])
}
