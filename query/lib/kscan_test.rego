package kscan_test

import data.kscan as k

objects := [
	{"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "web", "namespace": "shop"}},
	{"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web", "namespace": "shop"}, "spec": {"selector": {"matchLabels": {"app": "web"}}, "template": {"metadata": {"labels": {"app": "web"}}, "spec": {"serviceAccountName": "web", "containers": [{"name": "a", "image": "nginx:1.27"}, {"name": "b", "image": "busybox@sha256:0000000000000000000000000000000000000000000000000000000000000001"}]}}}},
	{"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web", "namespace": "shop"}, "spec": {"type": "LoadBalancer", "selector": {"app": "web"}, "ports": [{"port": 80}]}},
	{"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role", "metadata": {"name": "reader", "namespace": "shop"}, "rules": [{"apiGroups": [""], "resources": ["secrets", "pods/log"], "verbs": ["get"]}, {"apiGroups": ["apps"], "resources": ["*"], "verbs": ["list"]}]},
	{"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding", "metadata": {"name": "web", "namespace": "shop"}, "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "reader"}, "subjects": [{"kind": "ServiceAccount", "name": "web", "namespace": "shop"}]},
	{"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole", "metadata": {"name": "all-pods"}, "rules": [{"apiGroups": [""], "resources": ["pods"], "verbs": ["*"]}]},
	{"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding", "metadata": {"name": "everyone-pods"}, "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "all-pods"}, "subjects": [{"kind": "Group", "name": "system:serviceaccounts"}]},
]

test_workloads_and_containers if {
	inp := kscan.graph(objects)
	[w.id | some w in k.workloads] == ["shop/Deployment/web"] with input as inp
	w := k.workload("shop/Deployment/web") with input as inp
	[k.version(c) | some c in k.containers(w)] == ["1.27", ""]
	[k.digest(c) | some c in k.containers(w)] == ["", "sha256:0000000000000000000000000000000000000000000000000000000000000001"]
	[k.repository(c) | some c in k.containers(w)] == ["docker.io/library/nginx", "docker.io/library/busybox"]
}

test_exposed if {
	inp := kscan.graph(objects)
	w := k.workload("shop/Deployment/web") with input as inp
	k.exposed(w) with input as inp
	[r.entry | some r in k.internet_routes(w)] == ["shop/Service/web"] with input as inp
}

test_not_exposed_without_load_balancer if {
	inp := kscan.graph([o | some o in objects; o.kind != "Service"])
	w := k.workload("shop/Deployment/web") with input as inp
	not k.exposed(w) with input as inp
}

test_can if {
	inp := kscan.graph(objects)
	k.can("ServiceAccount shop/web", "get", "secrets", "shop") with input as inp
	k.can("ServiceAccount shop/web", "get", "pods/log", "shop") with input as inp
	k.can("ServiceAccount shop/web", "list", "deployments.apps", "shop") with input as inp
	k.can("ServiceAccount shop/web", "get", "secrets", "") with input as inp

	# through the group every ServiceAccount is in
	k.can("ServiceAccount shop/web", "delete", "pods", "other") with input as inp
}

test_cannot if {
	inp := kscan.graph(objects)
	not k.can("ServiceAccount shop/web", "get", "secrets", "other") with input as inp
	not k.can("ServiceAccount shop/web", "list", "secrets", "shop") with input as inp
	not k.can("ServiceAccount shop/web", "list", "deployments", "shop") with input as inp
	not k.can("User alice", "delete", "pods", "shop") with input as inp
}

test_path if {
	inp := kscan.graph(objects)
	p := k.path("shop/Service/web", "shop/ServiceAccount/web") with input as inp
	p == [
		{"key": "shop/Service/web", "edge": "selects"},
		{"key": "shop/Deployment/web", "edge": "runs-as"},
		{"key": "shop/ServiceAccount/web", "edge": ""},
	]
}

test_no_path_backwards if {
	inp := kscan.graph(objects)
	not k.path("shop/ServiceAccount/web", "shop/Service/web") with input as inp
}
