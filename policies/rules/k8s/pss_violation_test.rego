package kscan.rules.k8s.pss_violation_test

import data.kscan.rules.k8s.pss_violation as rule

ns(labels) := {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "shop", "labels": labels}}

root_pod := {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "namespace": "shop"}, "spec": {"containers": [{"name": "app", "image": "x"}]}}

privileged_deploy := {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "d", "namespace": "shop"}, "spec": {"template": {"spec": {"containers": [{"name": "app", "image": "x", "securityContext": {"privileged": true}}]}}}}

test_restricted_namespace_rejects_default_pod_denied if {
	inp := kscan.graph([ns({"pod-security.kubernetes.io/enforce": "restricted"}), root_pod])
	some f in rule.deny with input as inp
	f.key == "shop/Pod/p"
	contains(f.message, `violates PodSecurity "restricted:latest"`)
	contains(f.message, "allowPrivilegeEscalation != false")
}

test_baseline_namespace_admits_default_pod_allowed if {
	inp := kscan.graph([ns({"pod-security.kubernetes.io/enforce": "baseline"}), root_pod])
	count(rule.deny) == 0 with input as inp
}

test_baseline_namespace_rejects_privileged_deployment_denied if {
	inp := kscan.graph([ns({"pod-security.kubernetes.io/enforce": "baseline", "pod-security.kubernetes.io/enforce-version": "v1.30"}), privileged_deploy])
	some f in rule.deny with input as inp
	f.key == "shop/Deployment/d"
	contains(f.message, `violates PodSecurity "baseline:v1.30"`)
	contains(f.message, "its pods are rejected")
}

test_unlabelled_and_audit_only_namespaces_allowed if {
	count(rule.deny) == 0 with input as kscan.graph([ns({}), privileged_deploy])
	count(rule.deny) == 0 with input as kscan.graph([ns({"pod-security.kubernetes.io/warn": "restricted", "pod-security.kubernetes.io/audit": "restricted"}), privileged_deploy])
}

test_no_namespace_object_allowed if {
	count(rule.deny) == 0 with input as kscan.graph([privileged_deploy])
}
