# METADATA
# title: Unmasked /proc mount (restricted)
# description: |
#   From v1.35 Pod Security restricted forbids procMount: Unmasked even in
#   pods with their own user namespace. The verdict is Kubernetes' own Pod
#   Security check (k8s.io/pod-security-admission) at --pss-version; the
#   message is the reason the API server gives.
# custom:
#   id: k8s/pss-proc-mount-restricted
#   watch: namespace
#   identity: resource
#   applies_to:
#     - "workloads"
#   severity: low
#   remediation: |
#     Remove securityContext.procMount: Unmasked.
#   frameworks:
#     nsa: ["Kubernetes Pod security: Pod security enforcement"]
#     pss: ["restricted:procMount"]
package kscan.rules.k8s.pss_proc_mount_restricted

import data.kscan.lib.pss

deny contains finding if {
	some [w, failure] in pss.failures("restricted:procMount")
	finding := {"key": w.key, "message": pss.message(w, failure)}
}
