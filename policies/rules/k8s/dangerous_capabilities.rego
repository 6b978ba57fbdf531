# METADATA
# title: Container adds dangerous capabilities
# description: |
#   Some Linux capabilities are root in all but name: SYS_ADMIN (mount, BPF,
#   namespaces), SYS_MODULE (load kernel modules), SYS_PTRACE (read and inject
#   into other processes), NET_ADMIN (reconfigure the network), DAC_READ_SEARCH
#   (read any file, the "shocker" escape), BPF, and ALL of them at once.
#   It is a kscan hardening rule, not the Pod Security capabilities control:
#   that allows only the default set at baseline (k8s/pss-capabilities) and
#   NET_BIND_SERVICE after dropping ALL at restricted
#   (k8s/pss-capabilities-restricted).
# custom:
#   id: k8s/dangerous-capabilities
#   watch: namespace
#   severity: high
#   identity: resource + container
#   applies_to:
#     - "workloads"
#   remediation: |
#     Drop ALL capabilities and add back only the narrow ones the process
#     needs (for example NET_BIND_SERVICE).
#   frameworks:
#     cis: ["5.2.9"]
#     nsa: ["Kubernetes Pod security: Pod security enforcement"]
package kscan.rules.k8s.dangerous_capabilities

import data.kscan.lib.k8s

dangerous := {"ALL", "SYS_ADMIN", "NET_ADMIN", "SYS_PTRACE", "SYS_MODULE", "DAC_READ_SEARCH", "BPF"}

deny contains finding if {
	some w in k8s.workloads
	some c in w.containers
	not c.securityContext.privileged == true # k8s/privileged-container says it implies this
	added := {cap |
		some raw in k8s.list_of(c.securityContext.capabilities.add)
		cap := normalize(raw)
		cap in dangerous
	}
	count(added) > 0
	finding := {
		"key": w.key,
		"message": sprintf("%s adds capabilities %s", [k8s.container_label(c), concat(", ", sort(added))]),
		"discriminator": c.name,
	}
}

# "cap_sys_admin", "Sys_Admin" and "SYS_ADMIN" are the same capability.
normalize(raw) := trim_prefix(upper(trim_space(raw)), "CAP_") if is_string(raw)
