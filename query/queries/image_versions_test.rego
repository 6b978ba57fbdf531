package kscan.queries.image_versions_test

import data.kscan.queries.image_versions as q

deploy(name, containers) := {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name, "namespace": "db"}, "spec": {"selector": {"matchLabels": {"app": name}}, "template": {"metadata": {"labels": {"app": name}}, "spec": {"containers": containers}}}}

objects := [
	deploy("orders", [{"name": "mysql", "image": "mysql:8.0"}, {"name": "exporter", "image": "prom/mysqld-exporter:v0.15.1"}]),
	deploy("billing", [{"name": "mysql", "image": "docker.io/library/mysql:8.0"}]),
	deploy("legacy", [{"name": "db", "image": "bitnami/mysql:5.7"}, {"name": "db2", "image": "mysql"}]),
	deploy("web", [{"name": "web", "image": "nginx:1.27"}]),
]

test_distinct_versions_of_mysql if {
	inp := object.union(kscan.graph(objects), {"params": {"name": "mysql"}})
	rows := q.result with input as inp
	{[r.image, r.version, r.containers] | some r in rows} == {
		["docker.io/library/mysql", "8.0", 2],
		["docker.io/bitnami/mysql", "5.7", 1],
		["docker.io/library/mysql", "latest", 1],
	}
	some r in rows
	r.version == "8.0"
	r.workloads == ["db/Deployment/billing", "db/Deployment/orders"]
}

test_every_image_without_name if {
	rows := q.result with input as kscan.graph(objects)
	count(rows) == 5
}
