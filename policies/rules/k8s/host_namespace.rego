# METADATA
# title: Pod shares a host namespace
# description: |
#   hostNetwork, hostPID and hostIPC put the pod in the node's network, process
#   or IPC namespace: it can sniff and bind host interfaces, see and signal
#   every process on the node (and read their environment), or reach the
#   host's shared memory. Each is a short step to taking over the node.
#   kscan takes the verdict from Kubernetes' own Pod Security check
#   (k8s.io/pod-security-admission) at --pss-version: one finding per
#   workload, with the reason the API server gives.
# custom:
#   id: k8s/host-namespace
#   watch: namespace
#   severity: high
#   identity: resource
#   applies_to:
#     - "workloads"
#   remediation: Remove hostNetwork, hostPID and hostIPC from the pod spec (or set them to false).
#   frameworks:
#     cis: ["5.2.3", "5.2.4", "5.2.5"]
#     nsa: ["Kubernetes Pod security: Pod security enforcement"]
#     pss: ["baseline:hostNamespaces"]
package kscan.rules.k8s.host_namespace

import data.kscan.lib.pss

# The verdict is Kubernetes' own Pod Security check (baseline:hostNamespaces).
deny contains finding if {
	some [w, failure] in pss.failures("baseline:hostNamespaces")
	finding := {"key": w.key, "message": pss.message(w, failure)}
}
