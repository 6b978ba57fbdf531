package kscan.queries.orphaned_config_test

import data.kscan.queries.orphaned_config as q

cm(name) := {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name, "namespace": "shop"}, "data": {"a": "1"}}

secret(name, type) := {"apiVersion": "v1", "kind": "Secret", "type": type, "metadata": {"name": name, "namespace": "shop"}, "data": {"password": "c2VjcmV0"}}

deploy := {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web", "namespace": "shop"}, "spec": {"selector": {"matchLabels": {"app": "web"}}, "template": {"metadata": {"labels": {"app": "web"}}, "spec": {
	"volumes": [{"name": "cfg", "configMap": {"name": "mounted"}}, {"name": "p", "projected": {"sources": [{"secret": {"name": "projected"}}]}}],
	"containers": [{"name": "a", "image": "a:1", "envFrom": [{"configMapRef": {"name": "envfrom"}}], "env": [{"name": "X", "valueFrom": {"secretKeyRef": {"name": "env-secret", "key": "k"}}}]}],
}}}}

ingress := {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": {"name": "web", "namespace": "shop"}, "spec": {"tls": [{"secretName": "tls"}]}}

objects := [
	deploy, ingress,
	cm("mounted"), cm("envfrom"), cm("forgotten"),
	secret("projected", "Opaque"), secret("env-secret", "Opaque"), secret("tls", "kubernetes.io/tls"),
	secret("old-password", "Opaque"), secret("token", "kubernetes.io/service-account-token"),
]

test_unreferenced_listed if {
	rows := q.result with input as kscan.graph(objects)
	{r.object | some r in rows} == {"shop/ConfigMap/forgotten", "shop/Secret/old-password"}
}

test_only_key_counts_no_values if {
	rows := q.result with input as kscan.graph(objects)
	some r in rows
	r.object == "shop/Secret/old-password"
	r.keys == 1
	not contains(json.marshal(rows), "c2VjcmV0")
}
