package kscan.rules.rbac.modified_builtin_test

import data.kscan.rules.rbac.modified_builtin as rule

crole(name, rules) := {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole", "metadata": {"name": name}, "rules": rules}

crb(name, role, subjects) := {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding", "metadata": {"name": name}, "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": role}, "subjects": subjects}

cluster_admin_rules := [
	{"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]},
	{"nonResourceURLs": ["*"], "verbs": ["*"]},
]

test_bootstrap_content_allowed if {
	inp := kscan.graph([crole("cluster-admin", cluster_admin_rules)])
	count(rule.deny) == 0 with input as inp
}

test_reordered_bootstrap_content_allowed if {
	# Same meaning, other order: still Kubernetes' own.
	inp := kscan.graph([crole("cluster-admin", [cluster_admin_rules[1], cluster_admin_rules[0]])])
	count(rule.deny) == 0 with input as inp
}

test_added_rule_denied if {
	inp := kscan.graph([crole("view", [{"apiGroups": [""], "resources": ["secrets"], "verbs": ["get"]}])])
	some f in rule.deny with input as inp
	f.key == "ClusterRole/view"
	contains(f.message, "added get secrets")
}

test_added_grant_named_denied if {
	# system:public-info-viewer (GET on a few health and version URLs) plus secrets.
	inp := kscan.graph([crole("system:public-info-viewer", [
		{"nonResourceURLs": ["/healthz", "/livez", "/readyz", "/version", "/version/"], "verbs": ["get"]},
		{"apiGroups": [""], "resources": ["secrets"], "verbs": ["list"]},
	])])
	some f in rule.deny with input as inp
	contains(f.message, "added list secrets")
	not f.severity
	f.properties.added == ["list secrets"]
}

test_removed_only_is_low_denied if {
	inp := kscan.graph([crole("system:public-info-viewer", [{"nonResourceURLs": ["/healthz"], "verbs": ["get"]}])])
	some f in rule.deny with input as inp
	f.severity == "low"
	contains(f.message, "removed")
}

test_added_subject_denied if {
	inp := kscan.graph([crb("cluster-admin", "cluster-admin", [{"kind": "Group", "name": "system:masters"}, {"kind": "ServiceAccount", "name": "helper", "namespace": "kube-system"}])])
	some f in rule.deny with input as inp
	contains(f.message, "added subject ServiceAccount kube-system/helper")
}

test_bootstrap_binding_allowed if {
	inp := kscan.graph([crb("cluster-admin", "cluster-admin", [{"kind": "Group", "name": "system:masters"}])])
	count(rule.deny) == 0 with input as inp
}

test_other_names_allowed if {
	inp := kscan.graph([crole("system:backdoor", [{"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]}])])
	count(rule.deny) == 0 with input as inp
}

test_many_additions_summarised_denied if {
	inp := kscan.graph([crole("system:public-info-viewer", [
		{"nonResourceURLs": ["/healthz", "/livez", "/readyz", "/version", "/version/"], "verbs": ["get"]},
		{"apiGroups": [""], "resources": ["secrets", "pods", "nodes", "configmaps"], "verbs": ["get"]},
	])])
	some f in rule.deny with input as inp
	contains(f.message, "added 4 changes, e.g. ")
	count(f.properties.added) == 4
}
