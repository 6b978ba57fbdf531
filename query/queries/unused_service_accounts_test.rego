package kscan.queries.unused_service_accounts_test

import data.kscan.queries.unused_service_accounts as q

sa(name) := {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": name, "namespace": "shop"}}

deploy(name, sa_name) := {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name, "namespace": "shop"}, "spec": {"selector": {"matchLabels": {"app": name}}, "template": {"metadata": {"labels": {"app": name}}, "spec": {"serviceAccountName": sa_name, "containers": [{"name": "a", "image": "a:1"}]}}}}

binding := {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding", "metadata": {"name": "old-job", "namespace": "shop"}, "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "edit"}, "subjects": [{"kind": "ServiceAccount", "name": "old-job", "namespace": "shop"}]}

test_unused_listed_with_bindings if {
	rows := q.result with input as kscan.graph([sa("web"), sa("old-job"), deploy("web", "web"), binding])
	{[r.service_account, r.bindings] | some r in rows} == {["shop/ServiceAccount/old-job", ["shop/RoleBinding/old-job"]]}
}

test_default_used_by_workload_without_name if {
	d := json.remove(deploy("api", ""), ["spec/template/spec/serviceAccountName"])
	rows := q.result with input as kscan.graph([sa("default"), d])
	count(rows) == 0
}
