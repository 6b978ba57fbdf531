# METADATA
# title: runAsUser is 0
# description: |
#   Pod Security restricted forbids runAsUser: 0 on the pod or a container.
#   The verdict is Kubernetes' own Pod Security check
#   (k8s.io/pod-security-admission) at --pss-version; the message is the
#   reason the API server gives.
# custom:
#   id: k8s/pss-run-as-user
#   watch: namespace
#   identity: resource
#   applies_to:
#     - "workloads"
#   severity: medium
#   remediation: |
#     Set runAsUser to a non-zero UID, or leave it unset and set runAsNonRoot:
#     true.
#   frameworks:
#     cis: ["5.2.7"]
#     nsa: ["Kubernetes Pod security: Non-root containers and rootless container engines"]
#     pss: ["restricted:runAsUser"]
package kscan.rules.k8s.pss_run_as_user

import data.kscan.lib.pss

deny contains finding if {
	some [w, failure] in pss.failures("restricted:runAsUser")
	finding := {"key": w.key, "message": pss.message(w, failure)}
}
