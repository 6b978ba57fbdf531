package kscan.rules.rbac.secrets_read_test

import data.kscan.rules.rbac.secrets_read as rule

crole(name, rules) := {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole", "metadata": {"name": name}, "rules": rules}

role(name, rules) := {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role", "metadata": {"name": name, "namespace": "shop"}, "rules": rules}

binding(kind, name, ns, role_kind, role_name, subjects) := {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": kind, "metadata": {"name": name, "namespace": ns}, "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": role_kind, "name": role_name}, "subjects": subjects}

user(name) := {"kind": "User", "name": name}

read_secrets := [{"apiGroups": [""], "resources": ["secrets"], "verbs": ["get", "list"]}]

test_bound_cluster_role_denied if {
	inp := kscan.graph([
		crole("reader", read_secrets),
		binding("ClusterRoleBinding", "readers", "", "ClusterRole", "reader", [user("alice"), {"kind": "Group", "name": "dev"}]),
	])
	some f in rule.deny with input as inp
	f.key == "ClusterRole/reader"
	contains(f.message, "get/list on secrets")
	contains(f.message, "Group dev, User alice")
	contains(f.message, "ClusterRoleBinding/readers")
	f.related == ["ClusterRoleBinding/readers"]
}

test_bound_role_denied if {
	inp := kscan.graph([
		role("reader", [{"apiGroups": [""], "resources": ["secrets"], "verbs": ["watch"]}]),
		binding("RoleBinding", "b", "shop", "Role", "reader", [{"kind": "ServiceAccount", "name": "web"}]),
	])
	some f in rule.deny with input as inp
	f.key == "shop/Role/reader"
	contains(f.message, "ServiceAccount shop/web")
}

test_wildcards_denied if {
	inp := kscan.graph([
		crole("any", [{"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]}]),
		binding("RoleBinding", "b", "shop", "ClusterRole", "any", [user("alice")]),
	])
	some f in rule.deny with input as inp
	contains(f.message, "get/list/watch on secrets")
}

test_one_finding_for_several_bindings_denied if {
	inp := kscan.graph([
		crole("reader", read_secrets),
		binding("ClusterRoleBinding", "one", "", "ClusterRole", "reader", [user("alice")]),
		binding("RoleBinding", "two", "shop", "ClusterRole", "reader", [user("bob")]),
	])
	count(rule.deny) == 1 with input as inp
	some f in rule.deny with input as inp
	f.related == ["ClusterRoleBinding/one", "shop/RoleBinding/two"]
}

test_builtin_role_reported_on_binding_denied if {
	inp := kscan.graph([binding("RoleBinding", "devs", "shop", "ClusterRole", "edit", [{"kind": "Group", "name": "dev"}])])
	some f in rule.deny with input as inp
	f.key == "shop/RoleBinding/devs"
	f.related == ["ClusterRole/edit"]
	contains(f.message, "built-in ClusterRole edit")
	contains(f.message, "Group dev")
}

test_builtin_role_one_finding_per_binding_denied if {
	inp := kscan.graph([
		binding("RoleBinding", "a", "shop", "ClusterRole", "admin", [user("alice")]),
		binding("RoleBinding", "b", "blog", "ClusterRole", "admin", [user("bob")]),
	])
	{f.key | some f in rule.deny} == {"shop/RoleBinding/a", "blog/RoleBinding/b"} with input as inp
}

test_unbound_role_allowed if {
	inp := kscan.graph([crole("reader", read_secrets)])
	count(rule.deny) == 0 with input as inp
}

test_other_group_allowed if {
	inp := kscan.graph([
		crole("reader", [{"apiGroups": ["example.com"], "resources": ["secrets"], "verbs": ["get"]}]),
		binding("ClusterRoleBinding", "b", "", "ClusterRole", "reader", [user("alice")]),
	])
	count(rule.deny) == 0 with input as inp
}

test_write_only_allowed if {
	inp := kscan.graph([
		crole("writer", [{"apiGroups": [""], "resources": ["secrets"], "verbs": ["create", "delete"]}]),
		binding("ClusterRoleBinding", "b", "", "ClusterRole", "writer", [user("alice")]),
	])
	count(rule.deny) == 0 with input as inp
}

test_builtin_view_allowed if {
	inp := kscan.graph([binding("ClusterRoleBinding", "b", "", "ClusterRole", "view", [user("alice")])])
	count(rule.deny) == 0 with input as inp
}

test_one_named_secret_is_low_denied if {
	inp := kscan.graph([
		role("redis", [{"apiGroups": [""], "resources": ["secrets"], "resourceNames": ["argocd-redis"], "verbs": ["get"]}]),
		binding("RoleBinding", "b", "shop", "Role", "redis", [{"kind": "ServiceAccount", "name": "init"}]),
	])
	some f in rule.deny with input as inp
	f.severity == "low"
	contains(f.message, "reading Secret argocd-redis (get)")
}

test_named_and_unrestricted_is_high_denied if {
	inp := kscan.graph([
		role("both", [
			{"apiGroups": [""], "resources": ["secrets"], "resourceNames": ["argocd-redis"], "verbs": ["get"]},
			{"apiGroups": [""], "resources": ["secrets"], "verbs": ["list"]},
		]),
		binding("RoleBinding", "b", "shop", "Role", "both", [user("alice")]),
	])
	count(rule.deny) == 1 with input as inp
	some f in rule.deny with input as inp
	not f.severity
	contains(f.message, "list on secrets")
}
