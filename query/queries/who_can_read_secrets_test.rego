package kscan.queries.who_can_read_secrets_test

import data.kscan.queries.who_can_read_secrets as q

objects := [
	{"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role", "metadata": {"name": "secret-reader", "namespace": "payments"}, "rules": [{"apiGroups": [""], "resources": ["secrets"], "verbs": ["get", "list"]}]},
	{"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding", "metadata": {"name": "ci-reads", "namespace": "payments"}, "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "secret-reader"}, "subjects": [{"kind": "ServiceAccount", "name": "ci", "namespace": "payments"}]},
	{"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole", "metadata": {"name": "one-secret"}, "rules": [{"apiGroups": [""], "resources": ["secrets"], "resourceNames": ["tls"], "verbs": ["get"]}]},
	{"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding", "metadata": {"name": "alice-one"}, "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "one-secret"}, "subjects": [{"kind": "User", "name": "alice"}]},
	{"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding", "metadata": {"name": "bob-reads", "namespace": "shop"}, "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "one-secret"}, "subjects": [{"kind": "User", "name": "bob"}]},
	{"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role", "metadata": {"name": "pods", "namespace": "payments"}, "rules": [{"apiGroups": [""], "resources": ["pods"], "verbs": ["*"]}]},
	{"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding", "metadata": {"name": "dev-pods", "namespace": "payments"}, "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "pods"}, "subjects": [{"kind": "Group", "name": "dev"}]},
]

test_readers_in_payments if {
	inp := object.union(kscan.graph(objects), {"params": {"namespace": "payments"}})
	rows := q.result with input as inp
	{[r.subject, r.namespace, r.role] | some r in rows} == {
		["ServiceAccount payments/ci", "payments", "payments/Role/secret-reader"],
		["User alice", "*", "ClusterRole/one-secret"],
	}
	some r in rows
	r.subject == "User alice"
	r.secrets == ["tls"]
	r.verbs == ["get"]
}

test_every_namespace if {
	rows := q.result with input as kscan.graph(objects)
	{r.subject | some r in rows} == {"ServiceAccount payments/ci", "User alice", "User bob"}
}

# Kubernetes' own admin ClusterRole (derived from the bootstrap policy when
# a binding names it) reads Secrets: judged by its content, not its name.
test_builtin_admin_reads_secrets if {
	b := {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding", "metadata": {"name": "team-admin", "namespace": "payments"}, "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "admin"}, "subjects": [{"kind": "Group", "name": "payments-team"}]}
	rows := q.result with input as kscan.graph([b])
	{[r.subject, r.role, r.secrets] | some r in rows} == {["Group payments-team", "ClusterRole/admin", ["all"]]}
}
