# METADATA
# title: Windows HostProcess container
# description: |
#   A Windows HostProcess container runs as a process on the node with the
#   node's privileges: Pod Security baseline forbids it. The verdict is
#   Kubernetes' own Pod Security check (k8s.io/pod-security-admission) at
#   --pss-version; the message is the reason the API server gives.
# custom:
#   id: k8s/pss-host-process
#   watch: namespace
#   identity: resource
#   applies_to:
#     - "workloads"
#   severity: high
#   remediation: |
#     Remove securityContext.windowsOptions.hostProcess: true from the pod and
#     its containers.
#   frameworks:
#     cis: ["5.2.11"]
#     nsa: ["Kubernetes Pod security: Pod security enforcement"]
#     pss: ["baseline:hostProcess"]
package kscan.rules.k8s.pss_host_process

import data.kscan.lib.pss

deny contains finding if {
	some [w, failure] in pss.failures("baseline:hostProcess")
	finding := {"key": w.key, "message": pss.message(w, failure)}
}
