# METADATA
# title: Unsafe sysctls
# description: |
#   Pod Security baseline allows only the safe, namespaced sysctls
#   (kernel.shm_rmid_forced, net.ipv4.ip_local_port_range,
#   net.ipv4.tcp_syncookies, net.ipv4.ping_group_range,
#   net.ipv4.ip_unprivileged_port_start and a few more by version); others can
#   affect the whole node. The verdict is Kubernetes' own Pod Security check
#   (k8s.io/pod-security-admission) at --pss-version; the message is the
#   reason the API server gives.
# custom:
#   id: k8s/pss-sysctls
#   watch: namespace
#   identity: resource
#   applies_to:
#     - "workloads"
#   severity: medium
#   remediation: |
#     Remove the sysctl from securityContext.sysctls or set it on the node
#     instead.
#   frameworks:
#     nsa: ["Kubernetes Pod security: Pod security enforcement"]
#     pss: ["baseline:sysctls"]
package kscan.rules.k8s.pss_sysctls

import data.kscan.lib.pss

deny contains finding if {
	some [w, failure] in pss.failures("baseline:sysctls")
	finding := {"key": w.key, "message": pss.message(w, failure)}
}
