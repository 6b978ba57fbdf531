package kscan.rules.rbac.wildcard_rule_test

import data.kscan.rules.rbac.wildcard_rule as rule

crole(name, labels, rules) := {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole", "metadata": {"name": name, "labels": labels}, "rules": rules}

role(rules) := {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role", "metadata": {"name": "r", "namespace": "ns"}, "rules": rules}

test_verbs_wildcard_denied if {
	inp := kscan.graph([role([{"apiGroups": [""], "resources": ["pods"], "verbs": ["*"]}])])
	some f in rule.deny with input as inp
	f.key == "ns/Role/r"
	f.discriminator == "rules[0]"
	contains(f.message, "verbs")
}

test_resources_wildcard_denied if {
	inp := kscan.graph([crole("c", {}, [{"apiGroups": [""], "resources": ["*"], "verbs": ["get"]}])])
	count(rule.deny) == 1 with input as inp
}

test_api_groups_wildcard_denied if {
	inp := kscan.graph([crole("c", {}, [{"apiGroups": ["*"], "resources": ["deployments"], "verbs": ["get"]}])])
	count(rule.deny) == 1 with input as inp
}

test_one_finding_per_rule_denied if {
	inp := kscan.graph([role([
		{"apiGroups": [""], "resources": ["pods"], "verbs": ["get"]},
		{"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]},
		{"apiGroups": ["apps"], "resources": ["*"], "verbs": ["list"]},
	])])
	{f.discriminator | some f in rule.deny} == {"rules[1]", "rules[2]"} with input as inp
}

test_unbound_role_is_still_reported_denied if {
	inp := kscan.graph([crole("ops", {}, [{"nonResourceURLs": ["*"], "verbs": ["*"]}])])
	count(rule.deny) == 1 with input as inp
}

test_explicit_lists_allowed if {
	inp := kscan.graph([role([{"apiGroups": ["", "apps"], "resources": ["pods", "deployments"], "verbs": ["get", "list", "watch"]}])])
	count(rule.deny) == 0 with input as inp
}

test_subresource_wildcard_is_not_star_allowed if {
	inp := kscan.graph([role([{"apiGroups": [""], "resources": ["pods/*"], "verbs": ["get"]}])])
	count(rule.deny) == 0 with input as inp
}

test_system_names_and_labels_do_not_exempt_denied if {
	inp := kscan.graph([
		crole("system:backdoor", {}, [{"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]}]),
		crole("admin-like", {"kubernetes.io/bootstrapping": "rbac-defaults"}, [{"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]}]),
	])
	{f.key | some f in rule.deny} == {"ClusterRole/system:backdoor", "ClusterRole/admin-like"} with input as inp
}

test_bootstrap_content_allowed if {
	# cluster-admin exactly as the API server creates it.
	inp := kscan.graph([crole("cluster-admin", {"kubernetes.io/bootstrapping": "rbac-defaults"}, [
		{"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]},
		{"nonResourceURLs": ["*"], "verbs": ["*"]},
	])])
	count(rule.deny) == 0 with input as inp
}

test_modified_bootstrap_role_denied if {
	inp := kscan.graph([crole("view", {}, [{"apiGroups": [""], "resources": ["*"], "verbs": ["get"]}])])
	count(rule.deny) == 1 with input as inp
}

test_unbound_role_is_low_denied if {
	inp := kscan.graph([crole("ops", {}, [{"apiGroups": [""], "resources": ["pods"], "verbs": ["*"]}])])
	some f in rule.deny with input as inp
	f.severity == "low"
	contains(f.message, "no binding grants it")
}

test_bound_role_keeps_rule_severity_denied if {
	b := {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding", "metadata": {"name": "ops"}, "roleRef": {"kind": "ClusterRole", "name": "ops"}, "subjects": [{"kind": "User", "name": "alice"}]}
	inp := kscan.graph([crole("ops", {}, [{"apiGroups": [""], "resources": ["pods"], "verbs": ["*"]}]), b])
	some f in rule.deny with input as inp
	not f.severity
}

test_aggregated_into_bound_role_is_bound_denied if {
	agg := {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole", "metadata": {"name": "agg"}, "aggregationRule": {"clusterRoleSelectors": [{"matchLabels": {"example.com/agg": "true"}}]}}
	b := {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding", "metadata": {"name": "agg"}, "roleRef": {"kind": "ClusterRole", "name": "agg"}, "subjects": [{"kind": "User", "name": "alice"}]}
	inp := kscan.graph([crole("part", {"example.com/agg": "true"}, [{"apiGroups": [""], "resources": ["pods"], "verbs": ["*"]}]), agg, b])
	some f in rule.deny with input as inp
	f.key == "ClusterRole/part"
	not f.severity
}

test_derived_builtin_role_allowed if {
	b := {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding", "metadata": {"name": "b"}, "roleRef": {"kind": "ClusterRole", "name": "cluster-admin"}, "subjects": [{"kind": "User", "name": "alice"}]}
	inp := kscan.graph([b])
	count(rule.deny) == 0 with input as inp
}

test_no_rules_allowed if {
	inp := kscan.graph([crole("aggregated", {}, null)])
	count(rule.deny) == 0 with input as inp
}
