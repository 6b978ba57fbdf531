# METADATA
# title: Privileged container
# description: |
#   A privileged container has every capability, sees all host devices and is
#   not confined by seccomp or AppArmor: breaking out of it to the node is
#   trivial, and from the node to the rest of the cluster often is too.
#   Being privileged implies what k8s/run-as-root and
#   k8s/dangerous-capabilities look for; they do not report a privileged
#   container again. k8s/privilege-escalation does, as Kubernetes' restricted
#   check does (a privileged container cannot set allowPrivilegeEscalation:
#   false). kscan takes the verdict from Kubernetes' own Pod Security check
#   (k8s.io/pod-security-admission) at --pss-version: one finding per
#   workload, with the reason the API server gives.
# custom:
#   id: k8s/privileged-container
#   watch: namespace
#   severity: critical
#   identity: resource
#   applies_to:
#     - "workloads"
#   remediation: |
#     Remove securityContext.privileged: true. Grant only the capabilities the
#     process needs (securityContext.capabilities.add) or use a device plugin.
#   frameworks:
#     cis: ["5.2.2"]
#     nsa: ["Kubernetes Pod security: Pod security enforcement"]
#     pss: ["baseline:privileged"]
package kscan.rules.k8s.privileged_container

import data.kscan.lib.pss

# The verdict is Kubernetes' own Pod Security check (baseline:privileged).
deny contains finding if {
	some [w, failure] in pss.failures("baseline:privileged")
	finding := {
		"key": w.key,
		"message": sprintf("%s: this implies every capability, privilege escalation and root on the node (not reported again as run-as-root or dangerous-capabilities)", [pss.message(w, failure)]),
	}
}
