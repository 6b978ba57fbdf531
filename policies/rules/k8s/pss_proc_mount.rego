# METADATA
# title: Unmasked /proc mount
# description: |
#   procMount: Unmasked removes the masks the runtime puts over sensitive
#   parts of /proc. Pod Security baseline requires the default /proc mount
#   (from v1.35 it allows Unmasked in pods with their own user namespace,
#   hostUsers: false). The verdict is Kubernetes' own Pod Security check
#   (k8s.io/pod-security-admission) at --pss-version; the message is the
#   reason the API server gives.
# custom:
#   id: k8s/pss-proc-mount
#   watch: namespace
#   identity: resource
#   applies_to:
#     - "workloads"
#   severity: high
#   remediation: |
#     Remove securityContext.procMount: Unmasked (or run the pod with
#     hostUsers: false).
#   frameworks:
#     nsa: ["Kubernetes Pod security: Pod security enforcement"]
#     pss: ["baseline:procMount"]
package kscan.rules.k8s.pss_proc_mount

import data.kscan.lib.pss

deny contains finding if {
	some [w, failure] in pss.failures("baseline:procMount")
	finding := {"key": w.key, "message": pss.message(w, failure)}
}
