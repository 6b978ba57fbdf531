package kscan.rules.k8s.namespace_without_pss_test

import data.kscan.rules.k8s.namespace_without_pss as rule

ns(labels) := {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "shop", "labels": labels}}

test_unlabelled_namespace_denied if {
	some f in rule.deny with input as kscan.graph([ns({"team": "shop"})])
	f.key == "Namespace/shop"
}

test_warn_only_namespace_denied if {
	count(rule.deny) == 1 with input as kscan.graph([ns({"pod-security.kubernetes.io/warn": "restricted"})])
}

test_enforced_namespace_allowed if {
	count(rule.deny) == 0 with input as kscan.graph([ns({"pod-security.kubernetes.io/enforce": "baseline"})])
}

test_derived_namespace_allowed if {
	p := {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "namespace": "shop"}, "spec": {"containers": [{"name": "a", "image": "x"}]}}
	count(rule.deny) == 0 with input as kscan.graph([p])
}
