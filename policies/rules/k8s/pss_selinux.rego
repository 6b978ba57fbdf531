# METADATA
# title: Custom SELinux user or role
# description: |
#   Pod Security baseline forbids setting a custom SELinux user or role, and
#   allows only the container_t, container_init_t, container_kvm_t and
#   container_engine_t types. The verdict is Kubernetes' own Pod Security
#   check (k8s.io/pod-security-admission) at --pss-version; the message is the
#   reason the API server gives.
# custom:
#   id: k8s/pss-selinux
#   watch: namespace
#   identity: resource
#   applies_to:
#     - "workloads"
#   severity: medium
#   remediation: |
#     Remove seLinuxOptions.user and seLinuxOptions.role, and use an allowed
#     type or none.
#   frameworks:
#     nsa: ["Kubernetes Pod security: Hardening container environments"]
#     pss: ["baseline:seLinux"]
package kscan.rules.k8s.pss_selinux

import data.kscan.lib.pss

deny contains finding if {
	some [w, failure] in pss.failures("baseline:seLinux")
	finding := {"key": w.key, "message": pss.message(w, failure)}
}
