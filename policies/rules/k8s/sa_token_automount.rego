# METADATA
# title: ServiceAccount token is mounted automatically
# description: |
#   Unless turned off, every container gets a token of the pod's ServiceAccount
#   at /var/run/secrets/kubernetes.io/serviceaccount. Most applications never
#   call the Kubernetes API; for them the token only helps an intruder move
#   from the container to the API server. The pod's
#   automountServiceAccountToken wins when it is set; otherwise the
#   ServiceAccount's applies. A pod that asks for the token explicitly
#   (automountServiceAccountToken: true) while its ServiceAccount holds
#   RBAC bindings calls the API on purpose and is not reported.
# custom:
#   id: k8s/sa-token-automount
#   watch: namespace
#   severity: low
#   identity: resource
#   applies_to:
#     - "workloads"
#   scope: stack
#   remediation: |
#     Set automountServiceAccountToken: false on the pod spec (or on the
#     ServiceAccount), and mount a projected token only in pods that call the API.
#   frameworks:
#     cis: ["5.1.6"]
#     nsa: ["Kubernetes Pod security: Protecting Pod service account tokens"]
package kscan.rules.k8s.sa_token_automount

import data.kscan.lib.k8s

deny contains finding if {
	some w in k8s.workloads
	not w.pod_spec.automountServiceAccountToken == false
	not needs_api(w)
	reason := why(w)
	finding := {
		"key": w.key,
		"message": sprintf("%s mounts the token of ServiceAccount %q: %s", [k8s.workload_label(w), w.service_account, reason]),
		"discriminator": "automount",
		"related": service_accounts(w),
	}
}

service_accounts(w) := k8s.outgoing(w.key, "runs-as")

# Why the token is mounted. A pod-level setting (true or false) overrides the
# ServiceAccount's.
why(w) := "the pod sets automountServiceAccountToken: true" if {
	w.pod_spec.automountServiceAccountToken == true
} else := "neither the pod nor its ServiceAccount sets automountServiceAccountToken: false" if {
	not sa_disables(w)
}

# needs_api(w): the pod asks for the token and its ServiceAccount is bound
# to roles: the token is how it uses them.
needs_api(w) if {
	w.pod_spec.automountServiceAccountToken == true
	some sa in service_accounts(w)
	count(k8s.incoming(sa, "binds")) > 0
}

sa_disables(w) if {
	some sa in service_accounts(w)
	input.nodes[sa].object.automountServiceAccountToken == false
}
