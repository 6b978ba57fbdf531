# METADATA
# title: Seccomp profile not RuntimeDefault or Localhost
# description: |
#   Pod Security restricted requires the seccomp profile RuntimeDefault or
#   Localhost on the pod or on every container. The verdict is Kubernetes' own
#   Pod Security check (k8s.io/pod-security-admission) at --pss-version; the
#   message is the reason the API server gives.
# custom:
#   id: k8s/pss-seccomp-restricted
#   watch: namespace
#   identity: resource
#   applies_to:
#     - "workloads"
#   severity: low
#   remediation: |
#     Set securityContext.seccompProfile.type: RuntimeDefault on the pod.
#   frameworks:
#     cis: ["5.7.2"]
#     nsa: ["Kubernetes Pod security: Hardening container environments"]
#     pss: ["restricted:seccomp"]
package kscan.rules.k8s.pss_seccomp_restricted

import data.kscan.lib.pss

deny contains finding if {
	some [w, failure] in pss.failures("restricted:seccomp")
	finding := {"key": w.key, "message": pss.message(w, failure)}
}
