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

# A live Deployment's ReplicaSet and Pods are not workloads of their own
# (kscan.workloads leaves them out) but what they mount is used all the
# same; a CronJob's pod spec is under its job template.
owned_rs := {"apiVersion": "apps/v1", "kind": "ReplicaSet", "metadata": {"name": "web-1", "namespace": "shop", "ownerReferences": [{"apiVersion": "apps/v1", "kind": "Deployment", "name": "web", "controller": true}]}, "spec": {"template": {"spec": {
	"volumes": [{"name": "s", "secret": {"secretName": "rs-volume"}}],
	"imagePullSecrets": [{"name": "rs-pull"}],
	"containers": [{"name": "a", "image": "a:1", "env": [{"name": "Y", "valueFrom": {"configMapKeyRef": {"name": "rs-env", "key": "k"}}}]}],
}}}}

owned_pod := {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "web-1-x", "namespace": "shop", "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "web-1", "controller": true}]}, "spec": {
	"initContainers": [{"name": "i", "image": "a:1", "envFrom": [{"secretRef": {"name": "pod-init-env"}}]}],
	"containers": [{"name": "a", "image": "a:1"}],
}}

cronjob := {"apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": "nightly", "namespace": "shop"}, "spec": {"schedule": "0 0 * * *", "jobTemplate": {"spec": {"template": {"spec": {
	"containers": [{"name": "a", "image": "a:1", "envFrom": [{"configMapRef": {"name": "cron-env"}}]}],
}}}}}}

test_owned_workloads_and_cronjobs_count if {
	rows := q.result with input as kscan.graph(array.concat(objects, [
		owned_rs, owned_pod, cronjob,
		secret("rs-volume", "Opaque"), secret("rs-pull", "kubernetes.io/dockerconfigjson"), cm("rs-env"),
		secret("pod-init-env", "Opaque"), cm("cron-env"),
	]))
	{r.object | some r in rows} == {"shop/ConfigMap/forgotten", "shop/Secret/old-password"}
}

test_owned_objects_are_not_workloads if {
	# the test above goes through the owned path only if kscan.workloads
	# leaves the ReplicaSet and the Pod out
	ws := data.kscan.workloads with input as kscan.graph([deploy, owned_rs, owned_pod, cronjob])
	{w.id | some w in ws} == {"shop/Deployment/web", "shop/CronJob/nightly"}
}
