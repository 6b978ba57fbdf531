package kscan.rules.rbac.drift_test

import data.kscan.rules.rbac.drift

role(kind, name, rules) := {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": kind, "metadata": {"name": name, "namespace": "shop"}, "rules": rules}

crb(name, role, user) := {
	"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding", "metadata": {"name": name},
	"roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": role},
	"subjects": [{"kind": "User", "name": user}],
}

rb(name, role, user) := {
	"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding", "metadata": {"name": name, "namespace": "shop"},
	"roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": role},
	"subjects": [{"kind": "User", "name": user}],
}

# desired(obj): obj as part of the --desired reference.
desired(obj) := {"id": sprintf("desired:%s/%s", [obj.kind, obj.metadata.name]), "type": "kscan:rbac/reference", "object": obj, "attrs": {"reference": "desired"}}

pods_read := [{"apiGroups": [""], "resources": ["pods"], "verbs": ["get", "list"]}]

test_added_binding_denied if {
	inp := kscan.graph([
		role("Role", "reader", pods_read), rb("alice", "reader", "alice"),
		desired(role("Role", "reader", pods_read)), desired(rb("alice", "reader", "alice")),
		crb("bob-admin", "cluster-admin", "bob"),
	])
	fs := drift.deny with input as inp
	count(fs) == 1
	some f in fs
	f.severity == "high"
	f.key == "ClusterRoleBinding/bob-admin"
	contains(f.message, "User bob gained compared with the desired state: * *.* (cluster-wide), * *")
	contains(f.message, "ClusterRoleBinding bob-admin -> ClusterRole cluster-admin")
}

test_removed_binding_denied if {
	inp := kscan.graph([
		role("Role", "reader", pods_read),
		desired(role("Role", "reader", pods_read)), desired(rb("carol", "reader", "carol")),
	])
	fs := drift.deny with input as inp
	count(fs) == 1
	some f in fs
	f.severity == "low"
	f.key == "desired:RoleBinding/carol"
	contains(f.message, "User carol lost compared with the desired state: get pods in shop, list pods in shop")
}

agg := {
	"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole", "metadata": {"name": "agg"},
	"aggregationRule": {"clusterRoleSelectors": [{"matchLabels": {"agg": "true"}}]},
}

src(verbs) := {
	"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole", "metadata": {"name": "agg-src", "labels": {"agg": "true"}},
	"rules": [{"apiGroups": ["rbac.authorization.k8s.io"], "resources": ["roles"], "verbs": verbs}],
}

test_verb_added_to_aggregated_source_denied if {
	inp := kscan.graph([
		agg, src(["get", "escalate"]), crb("dave", "agg", "dave"),
		desired(agg), desired(src(["get"])), desired(crb("dave", "agg", "dave")),
	])
	fs := drift.deny with input as inp
	count(fs) == 1
	some f in fs
	f.severity == "high"
	contains(f.message, "User dave gained compared with the desired state: escalate roles.rbac.authorization.k8s.io (cluster-wide)")
	contains(f.message, "(aggregated from ClusterRole agg-src)")
}

test_renamed_role_allowed if {
	inp := kscan.graph([
		role("Role", "pod-reader", pods_read), rb("alice-pods", "pod-reader", "alice"),
		desired(role("Role", "reader", pods_read)), desired(rb("alice", "reader", "alice")),
	])
	count(drift.deny) == 0 with input as inp
}

test_grant_covered_by_wildcard_allowed if {
	inp := kscan.graph([
		role("Role", "reader", pods_read), rb("alice", "reader", "alice"),
		desired(role("Role", "all", [{"apiGroups": [""], "resources": ["*"], "verbs": ["*"]}])), desired(rb("alice", "all", "alice")),
		desired(role("Role", "reader", pods_read)), desired(rb("alice2", "reader", "alice")),
	])
	fs := drift.deny with input as inp

	# alice lost the wildcard grant (low) but gained nothing
	every f in fs { f.severity == "low" }
	count(fs) == 1
}

test_no_reference_allowed if {
	inp := kscan.graph([role("Role", "reader", pods_read), rb("alice", "reader", "alice")])
	count(drift.deny) == 0 with input as inp
}
