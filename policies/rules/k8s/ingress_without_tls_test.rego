package kscan.rules.k8s.ingress_without_tls_test

import data.kscan.rules.k8s.ingress_without_tls as rule

ingress(api, spec) := {"apiVersion": api, "kind": "Ingress", "metadata": {"name": "i", "namespace": "ns"}, "spec": spec}

rules := [{"host": "shop.example.com", "http": {"paths": [{"path": "/", "pathType": "Prefix", "backend": {"service": {"name": "web", "port": {"number": 80}}}}]}}]

test_no_tls_denied if {
	inp := kscan.graph([ingress("networking.k8s.io/v1", {"rules": rules})])
	some f in rule.deny with input as inp
	f.key == "ns/Ingress/i"
}

test_empty_tls_denied if {
	inp := kscan.graph([ingress("networking.k8s.io/v1", {"rules": rules, "tls": []})])
	count(rule.deny) == 1 with input as inp
}

test_null_tls_denied if {
	inp := kscan.graph([ingress("networking.k8s.io/v1", {"rules": rules, "tls": null})])
	count(rule.deny) == 1 with input as inp
}

test_legacy_api_version_denied if {
	inp := kscan.graph([ingress("extensions/v1beta1", {"backend": {"serviceName": "web", "servicePort": 80}})])
	count(rule.deny) == 1 with input as inp
}

test_no_spec_denied if {
	inp := kscan.graph([{"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": {"name": "i"}}])
	count(rule.deny) == 1 with input as inp
}

test_tls_allowed if {
	inp := kscan.graph([ingress("networking.k8s.io/v1", {"rules": rules, "tls": [{"hosts": ["shop.example.com"], "secretName": "shop-tls"}]})])
	count(rule.deny) == 0 with input as inp
}
