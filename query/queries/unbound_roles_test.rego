package kscan.queries.unbound_roles_test

import data.kscan.queries.unbound_roles as q

role(kind, name, rules) := {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": kind, "metadata": {"name": name, "namespace": "shop"}, "rules": rules}

pods := [{"apiGroups": [""], "resources": ["pods"], "verbs": ["get"]}]

binding := {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding", "metadata": {"name": "web", "namespace": "shop"}, "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "used"}, "subjects": [{"kind": "ServiceAccount", "name": "web", "namespace": "shop"}]}

test_unbound_listed if {
	rows := q.result with input as kscan.graph([role("Role", "used", pods), role("Role", "forgotten", pods), binding])
	{r.role | some r in rows} == {"shop/Role/forgotten"}
}

# A ClusterRole named like a built-in one but with other content is not
# Kubernetes' own: it is listed.
test_builtin_lookalike_listed if {
	fake := json.remove(role("ClusterRole", "view", pods), ["metadata/namespace"])
	rows := q.result with input as kscan.graph([fake])
	{r.role | some r in rows} == {"ClusterRole/view"}
}
