# METADATA
# title: runAsNonRoot is not true
# description: |
#   Pod Security restricted requires runAsNonRoot: true on the pod or on every
#   container (or, from v1.33, a pod with its own user namespace). The verdict
#   is Kubernetes' own Pod Security check (k8s.io/pod-security-admission) at
#   --pss-version; the message is the reason the API server gives.
# custom:
#   id: k8s/pss-run-as-non-root
#   watch: namespace
#   identity: resource
#   applies_to:
#     - "workloads"
#   severity: low
#   remediation: |
#     Set securityContext.runAsNonRoot: true on the pod and give the image a
#     non-root USER.
#   frameworks:
#     cis: ["5.2.7"]
#     nsa: ["Kubernetes Pod security: Non-root containers and rootless container engines"]
#     pss: ["restricted:runAsNonRoot"]
package kscan.rules.k8s.pss_run_as_non_root

import data.kscan.lib.pss

deny contains finding if {
	some [w, failure] in pss.failures("restricted:runAsNonRoot")
	finding := {"key": w.key, "message": pss.message(w, failure)}
}
