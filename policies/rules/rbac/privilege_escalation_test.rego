package kscan.rules.rbac.privilege_escalation_test

import data.kscan.rules.rbac.privilege_escalation as rule

crole(rules) := {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole", "metadata": {"name": "r"}, "rules": rules}

crb(role) := {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding", "metadata": {"name": "b"}, "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": role}, "subjects": [{"kind": "User", "name": "alice"}]}

bound(rules) := kscan.graph([crole(rules), crb("r")])

rbac := "rbac.authorization.k8s.io"

test_bind_denied if {
	inp := bound([{"apiGroups": [rbac], "resources": ["clusterroles"], "verbs": ["bind"]}])
	some f in rule.deny with input as inp
	f.key == "ClusterRole/r"
	contains(f.message, "bind clusterroles")
	contains(f.message, "User alice")
}

test_escalate_denied if {
	inp := bound([{"apiGroups": [rbac], "resources": ["roles"], "verbs": ["escalate"]}])
	count(rule.deny) == 1 with input as inp
}

test_impersonate_denied if {
	inp := bound([{"apiGroups": [""], "resources": ["users", "groups"], "verbs": ["impersonate"]}])
	some f in rule.deny with input as inp
	contains(f.message, "impersonate groups, impersonate users")
}

test_write_bindings_denied if {
	inp := bound([{"apiGroups": [rbac], "resources": ["rolebindings"], "verbs": ["create", "patch"]}])
	some f in rule.deny with input as inp
	contains(f.message, "create rolebindings, patch rolebindings")
}

test_token_request_denied if {
	inp := bound([{"apiGroups": [""], "resources": ["serviceaccounts/token"], "verbs": ["create"]}])
	count(rule.deny) == 1 with input as inp
}

test_wildcard_denied if {
	inp := bound([{"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]}])
	count(rule.deny) == 1 with input as inp
}

test_builtin_edit_reported_on_binding_denied if {
	inp := kscan.graph([crb("edit")])
	some f in rule.deny with input as inp
	f.key == "ClusterRoleBinding/b"
	contains(f.message, "impersonate serviceaccounts")
}

test_unbound_allowed if {
	inp := kscan.graph([crole([{"apiGroups": [rbac], "resources": ["clusterroles"], "verbs": ["bind", "escalate"]}])])
	count(rule.deny) == 0 with input as inp
}

test_read_rbac_allowed if {
	inp := bound([{"apiGroups": [rbac], "resources": ["roles", "rolebindings", "clusterroles", "clusterrolebindings"], "verbs": ["get", "list", "watch"]}])
	count(rule.deny) == 0 with input as inp
}

test_wrong_group_allowed if {
	inp := bound([{"apiGroups": [""], "resources": ["roles"], "verbs": ["create", "bind"]}])
	count(rule.deny) == 0 with input as inp
}

test_verb_on_unrelated_resource_allowed if {
	inp := bound([{"apiGroups": ["*"], "resources": ["pods"], "verbs": ["*"]}])
	count(rule.deny) == 0 with input as inp
}

test_read_token_allowed if {
	inp := bound([{"apiGroups": [""], "resources": ["serviceaccounts"], "verbs": ["get", "create"]}])
	count(rule.deny) == 0 with input as inp
}

test_builtin_view_allowed if {
	inp := kscan.graph([crb("view")])
	count(rule.deny) == 0 with input as inp
}

test_many_paths_summarised_denied if {
	inp := bound([{"apiGroups": [rbac], "resources": ["roles", "rolebindings"], "verbs": ["create", "update", "patch"]}])
	some f in rule.deny with input as inp
	contains(f.message, "6 escalation paths, e.g. create rolebindings, create roles, patch rolebindings")
	count(f.properties.escalations) == 6
}

test_few_paths_listed_denied if {
	inp := bound([{"apiGroups": [rbac], "resources": ["clusterroles"], "verbs": ["bind", "escalate"]}])
	some f in rule.deny with input as inp
	contains(f.message, "allows bind clusterroles, escalate clusterroles;")
}

test_named_only_is_medium_denied if {
	inp := bound([{"apiGroups": [rbac], "resources": ["clusterroles"], "verbs": ["bind"], "resourceNames": ["view"]}])
	some f in rule.deny with input as inp
	f.severity == "medium"
	contains(f.message, "bind clusterroles named view")
}
