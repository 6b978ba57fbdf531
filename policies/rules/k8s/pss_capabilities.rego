# METADATA
# title: Container adds capabilities beyond the default set
# description: |
#   Pod Security baseline allows a container to add only capabilities of the
#   runtime's default set (AUDIT_WRITE, CHOWN, DAC_OVERRIDE, FOWNER, FSETID,
#   KILL, MKNOD, NET_BIND_SERVICE, SETFCAP, SETGID, SETPCAP, SETUID,
#   SYS_CHROOT); anything else, such as SYS_TIME or NET_ADMIN, is refused. The
#   verdict is Kubernetes' own Pod Security check
#   (k8s.io/pod-security-admission) at --pss-version; the message is the
#   reason the API server gives.
# custom:
#   id: k8s/pss-capabilities
#   watch: namespace
#   identity: resource
#   applies_to:
#     - "workloads"
#   severity: medium
#   remediation: |
#     Add only the capabilities of the default set, or none; drop ALL and add
#     back NET_BIND_SERVICE if the process binds a low port.
#   frameworks:
#     cis: ["5.2.9"]
#     nsa: ["Kubernetes Pod security: Pod security enforcement"]
#     pss: ["baseline:capabilities"]
package kscan.rules.k8s.pss_capabilities

import data.kscan.lib.pss

deny contains finding if {
	some [w, failure] in pss.failures("baseline:capabilities")
	finding := {"key": w.key, "message": pss.message(w, failure)}
}
