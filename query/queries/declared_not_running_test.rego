package kscan.queries.declared_not_running_test

import data.kscan.queries.declared_not_running as q

deploy(name) := {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name, "namespace": "shop"}, "spec": {"selector": {"matchLabels": {"app": name}}, "template": {"metadata": {"labels": {"app": name}}, "spec": {"containers": [{"name": "web", "image": "nginx:1.27"}]}}}}

declared(name) := {"id": sprintf("urn:pulumi:prod::shop::kubernetes:apps/v1:Deployment::%s", [name]), "type": "k8s:apps/Deployment", "object": deploy(name), "attrs": {"k8s_id": sprintf("shop/Deployment/%s", [name])}, "source": {"kind": "pulumi-state"}}

live(name) := {"id": sprintf("shop/Deployment/%s", [name]), "type": "k8s:apps/Deployment", "object": deploy(name), "source": {"kind": "cluster"}}

test_declared_missing_listed if {
	rows := q.result with input as kscan.graph([declared("web"), declared("api"), live("web")])
	{r.resource | some r in rows} == {"shop/Deployment/api"}
}

test_without_live_cluster_nothing if {
	count(q.result) == 0 with input as kscan.graph([declared("web"), declared("api")])
}
