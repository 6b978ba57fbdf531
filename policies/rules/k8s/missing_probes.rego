# METADATA
# title: Long-running container has no readiness probe
# description: |
#   Without a readiness probe a container receives traffic as soon as it
#   starts and keeps receiving it when it stops answering, and rolling updates
#   proceed without knowing whether the new version works. Jobs, CronJobs and
#   bare Pods are not long-running services and are not judged.
# custom:
#   id: k8s/missing-probes
#   watch: namespace
#   severity: low
#   identity: resource + container
#   applies_to:
#     - "workloads"
#   no_framework: "Probes are a reliability practice: no CIS Kubernetes, NSA/CISA or Pod Security control asks for them."
#   remediation: Add a readinessProbe (httpGet, tcpSocket, grpc or exec) to every container of the workload.
#   frameworks: {}
package kscan.rules.k8s.missing_probes

import data.kscan.lib.k8s

deny contains finding if {
	some w in k8s.workloads
	w.long_running
	some c in w.containers
	c.list == "containers" # k8s.regular(c), inline
	not has_readiness_probe(c)
	finding := {
		"key": w.key,
		"message": sprintf("%s of %s has no readinessProbe", [k8s.container_label(c), k8s.workload_label(w)]),
		"discriminator": c.name,
	}
}

has_readiness_probe(c) if is_object(c.readinessProbe)
