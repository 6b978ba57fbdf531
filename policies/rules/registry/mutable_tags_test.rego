package kscan.rules.registry.mutable_tags_test

import data.kscan.rules.registry.mutable_tags as rule

repo(obj) := {"id": "123456789012.dkr.ecr.eu-west-1.amazonaws.com/shop/api", "type": "registry:Repository", "object": object.union({"name": "shop/api"}, obj)}

test_mutable_denied if {
	inp := kscan.graph([repo({"imageTagMutability": "MUTABLE"})])
	count(rule.deny) == 1 with input as inp
}

test_mutable_with_exclusion_denied if {
	inp := kscan.graph([repo({"imageTagMutability": "MUTABLE_WITH_EXCLUSION"})])
	count(rule.deny) == 1 with input as inp
}

test_immutable_allowed if {
	inp := kscan.graph([repo({"imageTagMutability": "IMMUTABLE"})])
	count(rule.deny) == 0 with input as inp
}

test_unknown_allowed if {
	inp := kscan.graph([repo({"imageTagMutability": "[unknown]"})])
	count(rule.deny) == 0 with input as inp
}

# With workloads in the graph, the message names those pulling by tag
# (issue 6); a workload pinned by digest is not named.
test_mutable_names_tag_pullers_denied if {
	d := {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "api", "namespace": "shop"}, "spec": {"template": {"spec": {"containers": [
		{"name": "app", "image": "123456789012.dkr.ecr.eu-west-1.amazonaws.com/shop/api:1.4"},
		{"name": "pinned", "image": "123456789012.dkr.ecr.eu-west-1.amazonaws.com/shop/api@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"},
	]}}}}
	inp := kscan.graph([repo({"imageTagMutability": "MUTABLE"}), d])
	some f in rule.deny with input as inp
	contains(f.message, "pulled by tag by Deployment shop/api (123456789012.dkr.ecr.eu-west-1.amazonaws.com/shop/api:1.4)")
	not contains(f.message, "pinned")
	not contains(f.message, "@sha256")
}
