# METADATA
# title: Seccomp explicitly Unconfined
# description: |
#   Pod Security baseline forbids setting the seccomp profile to Unconfined
#   explicitly (on the pod or a container); leaving it unset is allowed at
#   baseline. The verdict is Kubernetes' own Pod Security check
#   (k8s.io/pod-security-admission) at --pss-version; the message is the
#   reason the API server gives.
# custom:
#   id: k8s/pss-seccomp
#   watch: namespace
#   identity: resource
#   applies_to:
#     - "workloads"
#   severity: medium
#   remediation: |
#     Remove seccompProfile type Unconfined; set RuntimeDefault on the pod.
#   frameworks:
#     cis: ["5.7.2"]
#     nsa: ["Kubernetes Pod security: Hardening container environments"]
#     pss: ["baseline:seccomp"]
package kscan.rules.k8s.pss_seccomp

import data.kscan.lib.pss

deny contains finding if {
	some [w, failure] in pss.failures("baseline:seccomp")
	finding := {"key": w.key, "message": pss.message(w, failure)}
}
