# METADATA
# title: Workload rejected by its namespace's Pod Security level
# description: |
#   The namespace's pod-security.kubernetes.io/enforce label (and
#   enforce-version) makes the API server refuse pods that fail that Pod
#   Security level: a Pod is rejected outright, and a Deployment, StatefulSet,
#   DaemonSet, Job or CronJob is accepted with a warning but none of its pods
#   can start. The verdict and the message are Kubernetes' own Pod Security
#   admission's (k8s.io/pod-security-admission) for the labelled level and
#   version, read from the Namespace in the manifests or the live cluster.
# custom:
#   id: k8s/pss-violation
#   watch: namespace
#   identity: resource
#   applies_to:
#     - "workloads"
#   severity: high
#   remediation: |
#     Change the workload to meet the namespace's level (the message names
#     each failed check), or deploy it into a namespace whose enforce level
#     allows it.
#   frameworks:
#     cis: ["5.2.1"]
#     nsa: ["Kubernetes Pod security: Pod security enforcement"]
package kscan.rules.k8s.pss_violation

import data.kscan.lib.k8s
import data.kscan.lib.pss

deny contains finding if {
	some [w, v] in pss.violations
	finding := {
		"key": w.key,
		"message": sprintf("%s %s in namespace %q (pod-security.kubernetes.io/enforce: %s, version %s): %s", [
			k8s.workload_label(w), outcome(w), v.namespace, v.level, v.version, v.message,
		]),
	}
}

outcome(w) := "is rejected" if w.kind == "Pod"

else := "is admitted with a warning, but its pods are rejected"
