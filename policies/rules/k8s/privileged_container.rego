# METADATA
# title: Privileged container
# description: |
#   A privileged container has every capability, sees all host devices and is
#   not confined by seccomp or AppArmor: breaking out of it to the node is
#   trivial, and from the node to the rest of the cluster often is too.
#   Being privileged implies what k8s/run-as-root,
#   k8s/privilege-escalation and k8s/dangerous-capabilities look for; they
#   do not report a privileged container again.
# custom:
#   id: k8s/privileged-container
#   severity: critical
#   identity: resource + container
#   remediation: |
#     Remove securityContext.privileged: true. Grant only the capabilities the
#     process needs (securityContext.capabilities.add) or use a device plugin.
#   frameworks:
#     cis: ["5.2.2"]
#     nsa: ["Kubernetes Pod security: Pod security enforcement"]
#     pss: ["baseline:privileged"]
package kscan.rules.k8s.privileged_container

import data.kscan.lib.k8s

deny contains finding if {
	some w in k8s.workloads
	some c in w.containers
	c.securityContext.privileged == true
	finding := {
		"key": w.key,
		"message": sprintf("%s runs privileged (securityContext.privileged: true): this implies every capability, privilege escalation and root on the node (not reported again as run-as-root, privilege-escalation, dangerous-capabilities)", [k8s.container_label(c)]),
		"discriminator": c.name,
	}
}
