package kscan.rules.rbac.anonymous_access_test

import data.kscan.rules.rbac.anonymous_access as rule

crb(role, subjects) := {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding", "metadata": {"name": "b"}, "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": role}, "subjects": subjects}

test_anonymous_user_denied if {
	inp := kscan.graph([crb("view", [{"kind": "User", "name": "system:anonymous", "apiGroup": "rbac.authorization.k8s.io"}])])
	some f in rule.deny with input as inp
	f.key == "ClusterRoleBinding/b"
	f.discriminator == "User system:anonymous"
}

test_unauthenticated_group_denied if {
	inp := kscan.graph([crb("cluster-admin", [{"kind": "Group", "name": "system:unauthenticated", "apiGroup": "rbac.authorization.k8s.io"}])])
	count(rule.deny) == 1 with input as inp
}

test_rolebinding_denied if {
	rb := {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding", "metadata": {"name": "rb", "namespace": "shop"}, "roleRef": {"kind": "Role", "name": "r"}, "subjects": [{"kind": "User", "name": "system:anonymous"}]}
	inp := kscan.graph([rb])
	some f in rule.deny with input as inp
	f.key == "shop/RoleBinding/rb"
}

test_authenticated_group_allowed if {
	inp := kscan.graph([crb("system:discovery", [{"kind": "Group", "name": "system:authenticated"}])])
	count(rule.deny) == 0 with input as inp
}

test_wrong_kind_allowed if {
	inp := kscan.graph([crb("view", [{"kind": "Group", "name": "system:anonymous"}, {"kind": "User", "name": "system:unauthenticated"}])])
	count(rule.deny) == 0 with input as inp
}
