package kscan.queries.internet_entrypoints_test

import data.kscan.queries.internet_entrypoints as q

deploy := {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web", "namespace": "shop"}, "spec": {"selector": {"matchLabels": {"app": "web"}}, "template": {"metadata": {"labels": {"app": "web"}}, "spec": {"containers": [{"name": "a", "image": "a:1"}]}}}}

svc(name, type) := {"apiVersion": "v1", "kind": "Service", "metadata": {"name": name, "namespace": "shop"}, "spec": {"type": type, "selector": {"app": "web"}, "ports": [{"port": 80}]}}

ingress := {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": {"name": "web", "namespace": "shop"}, "spec": {"rules": [{"host": "shop.example.com", "http": {"paths": [{"path": "/", "pathType": "Prefix", "backend": {"service": {"name": "web", "port": {"number": 80}}}}]}}]}}

test_entries_listed if {
	rows := q.result with input as kscan.graph([deploy, svc("web", "ClusterIP"), svc("public", "LoadBalancer"), ingress])
	{[r.entry, r.via, r.workloads] | some r in rows} == {
		["shop/Service/public", ["loadbalancer"], ["shop/Deployment/web"]],
		["shop/Ingress/web", ["ingress"], ["shop/Deployment/web"]],
	}
}

test_cluster_ip_only_nothing if {
	count(q.result) == 0 with input as kscan.graph([deploy, svc("web", "ClusterIP")])
}
