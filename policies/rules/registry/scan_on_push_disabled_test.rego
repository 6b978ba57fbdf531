package kscan.rules.registry.scan_on_push_disabled_test

import data.kscan.rules.registry.scan_on_push_disabled as rule

repo(obj) := {"id": "123456789012.dkr.ecr.eu-west-1.amazonaws.com/shop/api", "type": "registry:Repository", "object": object.union({"name": "shop/api"}, obj)}

test_scan_off_denied if {
	inp := kscan.graph([repo({"imageScanningConfiguration": {"scanOnPush": false}})])
	count(rule.deny) == 1 with input as inp
}

test_scan_absent_denied if {
	inp := kscan.graph([repo({})])
	count(rule.deny) == 1 with input as inp
}

test_scan_on_allowed if {
	inp := kscan.graph([repo({"imageScanningConfiguration": {"scanOnPush": true}})])
	count(rule.deny) == 0 with input as inp
}

test_scan_unknown_allowed if {
	inp := kscan.graph([repo({"imageScanningConfiguration": {"scanOnPush": "[unknown]"}})])
	count(rule.deny) == 0 with input as inp
}

# A repository kscan only knows from an image reference (registry collector,
# issue 6) has no settings to judge.
test_repository_from_image_reference_allowed if {
	pod := {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "namespace": "ns"}, "spec": {"containers": [{"name": "app", "image": "ghcr.io/org/app:1"}]}}
	inp := kscan.graph([pod])
	count(rule.deny) == 0 with input as inp
}
