package kscan.rules.k8s.default_service_account_test

import data.kscan.rules.k8s.default_service_account as rule

deploy(spec) := {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "d", "namespace": "ns"}, "spec": {"template": {"spec": object.union({"containers": [{"name": "a", "image": "x"}]}, spec)}}}

test_unset_denied if {
	inp := kscan.graph([deploy({})])
	some f in rule.deny with input as inp
	f.key == "ns/Deployment/d"
	contains(f.message, `namespace "ns"`)
}

test_explicit_default_denied if {
	inp := kscan.graph([deploy({"serviceAccountName": "default"})])
	count(rule.deny) == 1 with input as inp
}

test_deprecated_field_default_denied if {
	inp := kscan.graph([deploy({"serviceAccount": "default"})])
	count(rule.deny) == 1 with input as inp
}

test_named_account_allowed if {
	inp := kscan.graph([deploy({"serviceAccountName": "web"})])
	count(rule.deny) == 0 with input as inp
}

test_deprecated_field_named_account_allowed if {
	inp := kscan.graph([deploy({"serviceAccount": "web"})])
	count(rule.deny) == 0 with input as inp
}
