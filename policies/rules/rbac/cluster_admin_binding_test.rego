package kscan.rules.rbac.cluster_admin_binding_test

import data.kscan.rules.rbac.cluster_admin_binding as rule

crb(name, role, subjects) := {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding", "metadata": {"name": name}, "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": role}, "subjects": subjects}

rb(ns, role_kind, role, subjects) := {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding", "metadata": {"name": "b", "namespace": ns}, "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": role_kind, "name": role}, "subjects": subjects}

user(name) := {"kind": "User", "name": name, "apiGroup": "rbac.authorization.k8s.io"}

group(name) := {"kind": "Group", "name": name, "apiGroup": "rbac.authorization.k8s.io"}

sa(ns, name) := {"kind": "ServiceAccount", "name": name, "namespace": ns}

test_user_denied if {
	inp := kscan.graph([crb("admins", "cluster-admin", [user("alice")])])
	some f in rule.deny with input as inp
	f.key == "ClusterRoleBinding/admins"
	f.discriminator == "User alice"
}

test_one_finding_per_subject_denied if {
	inp := kscan.graph([crb("admins", "cluster-admin", [user("alice"), group("ops"), sa("ci", "deployer")])])
	{f.discriminator | some f in rule.deny} == {"User alice", "Group ops", "ServiceAccount ci/deployer"} with input as inp
}

test_rolebinding_to_cluster_admin_denied if {
	inp := kscan.graph([rb("shop", "ClusterRole", "cluster-admin", [user("bob")])])
	some f in rule.deny with input as inp
	f.key == "shop/RoleBinding/b"
}

test_rolebinding_sa_defaults_to_binding_namespace_denied if {
	inp := kscan.graph([rb("shop", "ClusterRole", "cluster-admin", [{"kind": "ServiceAccount", "name": "web"}])])
	some f in rule.deny with input as inp
	f.discriminator == "ServiceAccount shop/web"
}

test_declared_cluster_admin_denied if {
	role := {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole", "metadata": {"name": "cluster-admin"}, "rules": [{"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]}]}
	inp := kscan.graph([role, crb("admins", "cluster-admin", [user("alice")])])
	count(rule.deny) == 1 with input as inp
}

test_bootstrap_binding_allowed if {
	# The API server's own cluster-admin binding: name and content match.
	inp := kscan.graph([crb("cluster-admin", "cluster-admin", [group("system:masters")])])
	count(rule.deny) == 0 with input as inp
}

test_kube_system_service_account_denied if {
	# No namespace exemption: a kube-system ServiceAccount is a subject like any other.
	inp := kscan.graph([crb("kube-system-admin", "cluster-admin", [sa("kube-system", "clusterrole-aggregation-controller")])])
	{f.discriminator | some f in rule.deny} == {"ServiceAccount kube-system/clusterrole-aggregation-controller"} with input as inp
}

test_system_named_subject_denied if {
	inp := kscan.graph([crb("admins", "cluster-admin", [user("system:kube-controller-manager")])])
	{f.discriminator | some f in rule.deny} == {"User system:kube-controller-manager"} with input as inp
}

test_modified_bootstrap_binding_denied if {
	# The bootstrap name with an extra subject is not Kubernetes' own any more.
	inp := kscan.graph([crb("cluster-admin", "cluster-admin", [group("system:masters"), user("alice")])])
	{f.discriminator | some f in rule.deny} == {"Group system:masters", "User alice"} with input as inp
}

test_role_granting_everything_denied if {
	backdoor := {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole", "metadata": {"name": "system:backdoor"}, "rules": [{"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]}]}
	inp := kscan.graph([backdoor, crb("system:backdoor", "system:backdoor", [user("mallory")])])
	some f in rule.deny with input as inp
	f.discriminator == "User mallory"
	contains(f.message, "cluster-admin equivalent")
	f.related == ["ClusterRole/system:backdoor"]
}

test_wildcard_verbs_on_some_resources_allowed if {
	r := {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole", "metadata": {"name": "pods-all"}, "rules": [{"apiGroups": ["*"], "resources": ["pods"], "verbs": ["*"]}]}
	inp := kscan.graph([r, crb("p", "pods-all", [user("alice")])])
	count(rule.deny) == 0 with input as inp
}

test_resource_names_are_not_everything_allowed if {
	r := {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole", "metadata": {"name": "named"}, "rules": [{"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"], "resourceNames": ["one"]}]}
	inp := kscan.graph([r, crb("n", "named", [user("alice")])])
	count(rule.deny) == 0 with input as inp
}

test_other_role_allowed if {
	inp := kscan.graph([crb("viewers", "view", [user("alice")])])
	count(rule.deny) == 0 with input as inp
}

test_role_named_cluster_admin_allowed if {
	inp := kscan.graph([rb("shop", "Role", "cluster-admin", [user("alice")])])
	count(rule.deny) == 0 with input as inp
}
