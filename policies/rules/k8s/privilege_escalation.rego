# METADATA
# title: Container allows privilege escalation
# description: |
#   Unless allowPrivilegeEscalation is false, a process in the container can
#   gain more privileges than its parent (setuid binaries, file capabilities),
#   which turns many container escapes and local exploits into root. The
#   default is to allow it, so it has to be switched off explicitly.
#   Privileged containers are reported by k8s/privileged-container instead.
# custom:
#   id: k8s/privilege-escalation
#   severity: medium
#   identity: resource + container
#   remediation: Set securityContext.allowPrivilegeEscalation to false on every container.
#   frameworks:
#     cis: ["5.2.6"]
#     nsa: ["Kubernetes Pod security: Pod security enforcement"]
#     pss: ["restricted:allowPrivilegeEscalation"]
package kscan.rules.k8s.privilege_escalation

import data.kscan.lib.k8s

deny contains finding if {
	some w in k8s.workloads
	some c in w.containers
	not c.securityContext.privileged == true
	not c.securityContext.allowPrivilegeEscalation == false
	finding := {
		"key": w.key,
		"message": sprintf("%s does not set allowPrivilegeEscalation: false", [k8s.container_label(c)]),
		"discriminator": c.name,
	}
}
