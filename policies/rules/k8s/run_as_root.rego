# METADATA
# title: Container may run as root
# description: |
#   A container that runs as UID 0, or that does not set runAsNonRoot: true
#   (so it runs as whatever user the image says, often root), makes every
#   container escape a root escape. Settings are judged as Kubernetes applies
#   them: a container's securityContext overrides the pod's.
#   It is a kscan hardening rule, not a Pod Security control: the
#   restricted controls are k8s/pss-run-as-non-root and k8s/pss-run-as-user.
# custom:
#   id: k8s/run-as-root
#   watch: namespace
#   severity: medium
#   identity: resource + container
#   applies_to:
#     - "workloads"
#   remediation: |
#     Set securityContext.runAsNonRoot: true (pod or container level) and a
#     non-zero runAsUser, and build the image with a non-root USER.
#   frameworks:
#     cis: ["5.2.7"]
#     nsa: ["Kubernetes Pod security: Non-root containers and rootless container engines"]
package kscan.rules.k8s.run_as_root

import data.kscan.lib.k8s

deny contains finding if {
	some w in k8s.workloads
	some c in w.containers
	not c.securityContext.privileged == true # k8s/privileged-container says it implies this
	reason := root_reason(w, c)
	finding := {
		"key": w.key,
		"message": sprintf("%s %s", [k8s.container_label(c), reason]),
		"discriminator": c.name,
	}
}

root_reason(w, c) := "runs as root (runAsUser: 0)" if {
	k8s.effective(w, c, "runAsUser") == 0
} else := "may run as root: runAsNonRoot is not true at pod or container level" if {
	not non_root(w, c)
}

non_root(w, c) if k8s.effective(w, c, "runAsNonRoot") == true
