package kscan.rules.k8s.image_not_pinned_test

import data.kscan.rules.k8s.image_not_pinned as rule

digest := "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

pod(image) := {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "namespace": "ns"}, "spec": {"containers": [{"name": "app", "image": image}]}}

test_version_tag_denied if {
	inp := kscan.graph([pod("nginx:1.27")])
	some f in rule.deny with input as inp
	f.key == "ns/Pod/p"
	f.discriminator == "app"
	contains(f.message, `"nginx:1.27"`)
}

test_registry_port_and_tag_denied if {
	inp := kscan.graph([pod("registry.local:5000/team/app:2.1")])
	count(rule.deny) == 1 with input as inp
}

test_malformed_digest_denied if {
	inp := kscan.graph([pod("nginx:1.27@sha256:abc")])
	count(rule.deny) == 1 with input as inp
}

test_uppercase_digest_denied if {
	inp := kscan.graph([pod(sprintf("nginx:1.27@%s", [upper(digest)]))])
	count(rule.deny) == 1 with input as inp
}

test_init_and_ephemeral_containers_denied if {
	p := {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}, "spec": {
		"initContainers": [{"name": "init", "image": "busybox:1.36"}],
		"containers": [{"name": "app", "image": sprintf("nginx@%s", [digest])}],
		"ephemeralContainers": [{"name": "debug", "image": "busybox:1.36"}],
	}}
	inp := kscan.graph([p])
	discs := {f.discriminator | some f in rule.deny} with input as inp
	discs == {"init", "debug"}
}

test_digest_allowed if {
	inp := kscan.graph([pod(sprintf("nginx:1.27@%s", [digest]))])
	count(rule.deny) == 0 with input as inp
}

test_latest_and_untagged_left_to_image_tag_latest_allowed if {
	inp := kscan.graph([pod("nginx:latest"), pod("redis")])
	count(rule.deny) == 0 with input as inp
}
