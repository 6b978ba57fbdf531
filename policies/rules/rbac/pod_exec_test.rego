package kscan.rules.rbac.pod_exec_test

import data.kscan.rules.rbac.pod_exec as rule

role(rules) := {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role", "metadata": {"name": "debug", "namespace": "shop"}, "rules": rules}

rb(kind, name) := {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding", "metadata": {"name": "b", "namespace": "shop"}, "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": kind, "name": name}, "subjects": [{"kind": "User", "name": "alice"}]}

bound(rules) := kscan.graph([role(rules), rb("Role", "debug")])

test_exec_denied if {
	inp := bound([{"apiGroups": [""], "resources": ["pods/exec"], "verbs": ["create"]}])
	some f in rule.deny with input as inp
	f.key == "shop/Role/debug"
	contains(f.message, "create on pods/exec")
	contains(f.message, "User alice")
}

test_attach_denied if {
	inp := bound([{"apiGroups": [""], "resources": ["pods/attach"], "verbs": ["create"]}])
	count(rule.deny) == 1 with input as inp
}

# "pods/*" is not a wildcard in Kubernetes RBAC; "*/exec" is.
test_pods_slash_star_is_not_a_wildcard_allowed if {
	inp := bound([{"apiGroups": [""], "resources": ["pods/*"], "verbs": ["create"]}])
	count(rule.deny) == 0 with input as inp
}

test_any_resource_subresource_wildcard_denied if {
	inp := bound([{"apiGroups": [""], "resources": ["*/exec"], "verbs": ["create"]}])
	count(rule.deny) == 1 with input as inp
}

test_resource_and_verb_wildcards_denied if {
	inp := bound([{"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]}])
	count(rule.deny) == 1 with input as inp
}

test_builtin_edit_reported_on_binding_denied if {
	inp := kscan.graph([rb("ClusterRole", "edit")])
	some f in rule.deny with input as inp
	f.key == "shop/RoleBinding/b"
}

test_get_only_allowed if {
	inp := bound([{"apiGroups": [""], "resources": ["pods/exec", "pods/attach"], "verbs": ["get", "list"]}])
	count(rule.deny) == 0 with input as inp
}

test_pods_only_allowed if {
	inp := bound([{"apiGroups": [""], "resources": ["pods", "pods/log"], "verbs": ["create", "get"]}])
	count(rule.deny) == 0 with input as inp
}

test_wrong_group_allowed if {
	inp := bound([{"apiGroups": ["apps"], "resources": ["pods/exec"], "verbs": ["create"]}])
	count(rule.deny) == 0 with input as inp
}

test_unbound_allowed if {
	inp := kscan.graph([role([{"apiGroups": [""], "resources": ["pods/exec"], "verbs": ["create"]}])])
	count(rule.deny) == 0 with input as inp
}

test_builtin_view_allowed if {
	inp := kscan.graph([rb("ClusterRole", "view")])
	count(rule.deny) == 0 with input as inp
}
