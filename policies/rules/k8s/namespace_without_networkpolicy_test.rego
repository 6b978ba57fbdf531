package kscan.rules.k8s.namespace_without_networkpolicy_test

import data.kscan.rules.k8s.namespace_without_networkpolicy as rule

deploy(ns) := {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web", "namespace": ns}, "spec": {"template": {"spec": {"containers": [{"name": "a", "image": "x"}]}}}}

netpol(ns) := {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": {"name": "default-deny", "namespace": ns}, "spec": {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}}

test_derived_namespace_denied if {
	inp := kscan.graph([deploy("shop")])
	some f in rule.deny with input as inp
	f.key == "Namespace/shop"
	f.related == ["shop/Deployment/web"]
}

test_declared_namespace_denied if {
	ns := {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "shop"}}
	inp := kscan.graph([ns, deploy("shop")])
	some f in rule.deny with input as inp
	f.key == "Namespace/shop"
}

test_policy_in_other_namespace_denied if {
	inp := kscan.graph([deploy("shop"), netpol("other")])
	{f.key | some f in rule.deny} == {"Namespace/shop"} with input as inp
}

test_policy_allowed if {
	inp := kscan.graph([deploy("shop"), netpol("shop")])
	count(rule.deny) == 0 with input as inp
}

test_namespace_without_workloads_allowed if {
	cm := {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c", "namespace": "config"}}
	ns := {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "empty"}}
	inp := kscan.graph([cm, ns])
	count(rule.deny) == 0 with input as inp
}
