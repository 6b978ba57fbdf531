package kscan.rules.k8s.missing_probes_test

import data.kscan.rules.k8s.missing_probes as rule

probe := {"httpGet": {"path": "/ready", "port": 8080}}

workload(kind, spec) := {"apiVersion": "apps/v1", "kind": kind, "metadata": {"name": "w", "namespace": "ns"}, "spec": {"template": {"spec": spec}}}

test_deployment_without_probe_denied if {
	inp := kscan.graph([workload("Deployment", {"containers": [{"name": "app", "image": "x"}]})])
	some f in rule.deny with input as inp
	f.key == "ns/Deployment/w"
	f.discriminator == "app"
}

test_statefulset_and_daemonset_denied if {
	every kind in ["StatefulSet", "DaemonSet", "ReplicaSet"] {
		count(rule.deny) == 1 with input as kscan.graph([workload(kind, {"containers": [{"name": "app", "image": "x"}]})])
	}
}

test_only_container_without_probe_denied if {
	inp := kscan.graph([workload("Deployment", {"containers": [
		{"name": "app", "image": "x", "readinessProbe": probe},
		{"name": "sidecar", "image": "y"},
	]})])
	{f.discriminator | some f in rule.deny} == {"sidecar"} with input as inp
}

test_liveness_probe_is_not_readiness_denied if {
	inp := kscan.graph([workload("Deployment", {"containers": [{"name": "app", "image": "x", "livenessProbe": probe}]})])
	count(rule.deny) == 1 with input as inp
}

test_readiness_probe_allowed if {
	inp := kscan.graph([workload("Deployment", {"containers": [{"name": "app", "image": "x", "readinessProbe": probe}]})])
	count(rule.deny) == 0 with input as inp
}

test_init_container_allowed if {
	inp := kscan.graph([workload("Deployment", {
		"initContainers": [{"name": "migrate", "image": "x"}],
		"containers": [{"name": "app", "image": "x", "readinessProbe": probe}],
	})])
	count(rule.deny) == 0 with input as inp
}

test_job_cronjob_and_pod_allowed if {
	job := {"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "j"}, "spec": {"template": {"spec": {"containers": [{"name": "a", "image": "x"}]}}}}
	cj := {"apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": "c"}, "spec": {"jobTemplate": {"spec": {"template": {"spec": {"containers": [{"name": "a", "image": "x"}]}}}}}}
	pod := {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}, "spec": {"containers": [{"name": "a", "image": "x"}]}}
	inp := kscan.graph([job, cj, pod])
	count(rule.deny) == 0 with input as inp
}
