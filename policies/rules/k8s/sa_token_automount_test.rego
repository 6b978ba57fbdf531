package kscan.rules.k8s.sa_token_automount_test

import data.kscan.rules.k8s.sa_token_automount as rule

pod(spec) := {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "namespace": "ns"}, "spec": object.union({"containers": [{"name": "a", "image": "x"}]}, spec)}

sa(name, extra) := object.union({"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": name, "namespace": "ns"}}, extra)

test_defaults_denied if {
	inp := kscan.graph([pod({})])
	some f in rule.deny with input as inp
	f.key == "ns/Pod/p"
	contains(f.message, `ServiceAccount "default"`)
}

test_sa_without_setting_denied if {
	inp := kscan.graph([pod({"serviceAccountName": "web"}), sa("web", {})])
	some f in rule.deny with input as inp
	f.related == ["ns/ServiceAccount/web"]
}

test_pod_true_overrides_sa_false_denied if {
	inp := kscan.graph([pod({"serviceAccountName": "web", "automountServiceAccountToken": true}), sa("web", {"automountServiceAccountToken": false})])
	some f in rule.deny with input as inp
	contains(f.message, "the pod sets automountServiceAccountToken: true")
}

test_sa_false_in_other_namespace_does_not_count_denied if {
	other := {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "web", "namespace": "other"}, "automountServiceAccountToken": false}
	inp := kscan.graph([pod({"serviceAccountName": "web"}), other])
	count(rule.deny) == 1 with input as inp
}

test_deployment_denied if {
	d := {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "d", "namespace": "ns"}, "spec": {"template": {"spec": {"containers": [{"name": "a", "image": "x"}]}}}}
	inp := kscan.graph([d])
	some f in rule.deny with input as inp
	f.key == "ns/Deployment/d"
}

test_pod_false_allowed if {
	inp := kscan.graph([pod({"automountServiceAccountToken": false})])
	count(rule.deny) == 0 with input as inp
}

test_pod_false_overrides_sa_true_allowed if {
	inp := kscan.graph([pod({"serviceAccountName": "web", "automountServiceAccountToken": false}), sa("web", {"automountServiceAccountToken": true})])
	count(rule.deny) == 0 with input as inp
}

test_sa_false_allowed if {
	inp := kscan.graph([pod({"serviceAccountName": "web"}), sa("web", {"automountServiceAccountToken": false})])
	count(rule.deny) == 0 with input as inp
}

test_default_sa_false_allowed if {
	inp := kscan.graph([pod({}), sa("default", {"automountServiceAccountToken": false})])
	count(rule.deny) == 0 with input as inp
}

binding(sa_name) := {
	"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding", "metadata": {"name": "b", "namespace": "ns"},
	"roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "r"},
	"subjects": [{"kind": "ServiceAccount", "name": sa_name, "namespace": "ns"}],
}

test_explicit_true_with_rbac_allowed if {
	inp := kscan.graph([pod({"serviceAccountName": "web", "automountServiceAccountToken": true}), sa("web", {}), binding("web")])
	count(rule.deny) == 0 with input as inp
}

test_explicit_true_without_rbac_denied if {
	inp := kscan.graph([pod({"serviceAccountName": "web", "automountServiceAccountToken": true}), sa("web", {}), binding("other")])
	count(rule.deny) == 1 with input as inp
}

test_implicit_with_rbac_denied if {
	inp := kscan.graph([pod({"serviceAccountName": "web"}), sa("web", {}), binding("web")])
	count(rule.deny) == 1 with input as inp
}
