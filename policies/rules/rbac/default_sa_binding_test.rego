package kscan.rules.rbac.default_sa_binding_test

import data.kscan.rules.rbac.default_sa_binding as rule

rb(subjects) := {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding", "metadata": {"name": "b", "namespace": "shop"}, "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "view"}, "subjects": subjects}

test_default_sa_denied if {
	inp := kscan.graph([rb([{"kind": "ServiceAccount", "name": "default", "namespace": "shop"}])])
	some f in rule.deny with input as inp
	f.key == "shop/RoleBinding/b"
	f.discriminator == "ServiceAccount shop/default"
	contains(f.message, `ClusterRole "view"`)
}

test_default_sa_namespace_from_binding_denied if {
	inp := kscan.graph([rb([{"kind": "ServiceAccount", "name": "default"}])])
	some f in rule.deny with input as inp
	f.discriminator == "ServiceAccount shop/default"
}

test_default_sa_of_other_namespace_in_cluster_binding_denied if {
	crb := {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding", "metadata": {"name": "c"}, "roleRef": {"kind": "ClusterRole", "name": "view"}, "subjects": [{"kind": "ServiceAccount", "name": "default", "namespace": "blog"}]}
	inp := kscan.graph([crb])
	some f in rule.deny with input as inp
	f.key == "ClusterRoleBinding/c"
}

test_named_sa_allowed if {
	inp := kscan.graph([rb([{"kind": "ServiceAccount", "name": "web"}])])
	count(rule.deny) == 0 with input as inp
}

test_user_named_default_allowed if {
	inp := kscan.graph([rb([{"kind": "User", "name": "default"}])])
	count(rule.deny) == 0 with input as inp
}
