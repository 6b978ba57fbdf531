# METADATA
# title: Container allows privilege escalation
# description: |
#   Unless allowPrivilegeEscalation is false, a process in the container can
#   gain more privileges than its parent (setuid binaries, file capabilities),
#   which turns many container escapes and local exploits into root. The
#   default is to allow it, so it has to be switched off explicitly.
#   Privileged containers are reported by k8s/privileged-container instead.
#   kscan takes the verdict from Kubernetes' own Pod Security check
#   (k8s.io/pod-security-admission) at --pss-version: one finding per
#   workload, with the reason the API server gives.
# custom:
#   id: k8s/privilege-escalation
#   watch: namespace
#   severity: medium
#   identity: resource
#   applies_to:
#     - "workloads"
#   remediation: Set securityContext.allowPrivilegeEscalation to false on every container.
#   frameworks:
#     cis: ["5.2.6"]
#     nsa: ["Kubernetes Pod security: Pod security enforcement"]
#     pss: ["restricted:allowPrivilegeEscalation"]
package kscan.rules.k8s.privilege_escalation

import data.kscan.lib.pss

# The verdict is Kubernetes' own Pod Security check (restricted:allowPrivilegeEscalation).
deny contains finding if {
	some [w, failure] in pss.failures("restricted:allowPrivilegeEscalation")
	finding := {"key": w.key, "message": pss.message(w, failure)}
}
