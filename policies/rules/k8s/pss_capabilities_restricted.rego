# METADATA
# title: Container does not drop ALL capabilities
# description: |
#   Pod Security restricted requires every container to drop ALL capabilities
#   and to add back at most NET_BIND_SERVICE. The verdict is Kubernetes' own
#   Pod Security check (k8s.io/pod-security-admission) at --pss-version; the
#   message is the reason the API server gives.
# custom:
#   id: k8s/pss-capabilities-restricted
#   watch: namespace
#   identity: resource
#   applies_to:
#     - "workloads"
#   severity: low
#   remediation: |
#     Set securityContext.capabilities.drop: [ALL] on every container; add
#     only NET_BIND_SERVICE if needed.
#   frameworks:
#     cis: ["5.2.10"]
#     nsa: ["Kubernetes Pod security: Pod security enforcement"]
#     pss: ["restricted:capabilities"]
package kscan.rules.k8s.pss_capabilities_restricted

import data.kscan.lib.pss

deny contains finding if {
	some [w, failure] in pss.failures("restricted:capabilities")
	finding := {"key": w.key, "message": pss.message(w, failure)}
}
