package kscan.queries.exposed_workloads_test

import data.kscan.queries.exposed_workloads as q

objects := [
	{"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web", "namespace": "shop"}, "spec": {"selector": {"matchLabels": {"app": "web"}}, "template": {"metadata": {"labels": {"app": "web"}}, "spec": {"containers": [{"name": "a", "image": "nginx:1.27"}]}}}},
	{"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "db", "namespace": "shop"}, "spec": {"selector": {"matchLabels": {"app": "db"}}, "template": {"metadata": {"labels": {"app": "db"}}, "spec": {"containers": [{"name": "a", "image": "mysql:8.0"}]}}}},
	{"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web", "namespace": "shop"}, "spec": {"type": "LoadBalancer", "selector": {"app": "web"}, "ports": [{"port": 80}]}},
	{"apiVersion": "v1", "kind": "Service", "metadata": {"name": "db", "namespace": "shop"}, "spec": {"selector": {"app": "db"}, "ports": [{"port": 3306}]}},
	{"apiVersion": "v1", "kind": "Service", "metadata": {"name": "db-internal", "namespace": "shop", "annotations": {"service.beta.kubernetes.io/aws-load-balancer-scheme": "internal"}}, "spec": {"type": "LoadBalancer", "selector": {"app": "db"}, "ports": [{"port": 3306}]}},
]

test_public_load_balancer_listed if {
	inp := kscan.graph(objects)
	rows := q.result with input as inp
	{[r.workload, r.via, r.entry] | some r in rows} == {["shop/Deployment/web", "loadbalancer", "shop/Service/web"]}
}

test_filter_by_kind if {
	inp := kscan.graph(objects)
	count(q.result) == 0 with input as object.union(inp, {"params": {"via": "ingress"}})
	count(q.result) == 1 with input as object.union(inp, {"params": {"via": "loadbalancer"}})
}
