# METADATA
# title: AppArmor profile overridden or disabled
# description: |
#   Pod Security baseline allows only the runtime's default AppArmor profile
#   or a profile on the node (Localhost); Unconfined, in
#   securityContext.appArmorProfile or the legacy annotation, is refused. The
#   verdict is Kubernetes' own Pod Security check
#   (k8s.io/pod-security-admission) at --pss-version; the message is the
#   reason the API server gives.
# custom:
#   id: k8s/pss-apparmor
#   watch: namespace
#   identity: resource
#   applies_to:
#     - "workloads"
#   severity: medium
#   remediation: |
#     Remove appArmorProfile type Unconfined (and
#     container.apparmor.security.beta.kubernetes.io annotations set to
#     unconfined); use RuntimeDefault or Localhost.
#   frameworks:
#     nsa: ["Kubernetes Pod security: Hardening container environments"]
#     pss: ["baseline:appArmor"]
package kscan.rules.k8s.pss_apparmor

import data.kscan.lib.pss

deny contains finding if {
	some [w, failure] in pss.failures("baseline:appArmor")
	finding := {"key": w.key, "message": pss.message(w, failure)}
}
