# METADATA
# title: Container uses host ports
# description: |
#   A hostPort binds a port on the node itself, bypassing Services and
#   NetworkPolicies and tying the pod to a node: Pod Security baseline forbids
#   host ports (other than 0). The verdict is Kubernetes' own Pod Security
#   check (k8s.io/pod-security-admission) at --pss-version; the message is the
#   reason the API server gives.
# custom:
#   id: k8s/pss-host-ports
#   watch: namespace
#   identity: resource
#   applies_to:
#     - "workloads"
#   severity: medium
#   remediation: |
#     Remove hostPort from the container ports; expose the pod through a
#     Service.
#   frameworks:
#     cis: ["5.2.13"]
#     nsa: ["Kubernetes Pod security: Pod security enforcement"]
#     pss: ["baseline:hostPorts"]
package kscan.rules.k8s.pss_host_ports

import data.kscan.lib.pss

deny contains finding if {
	some [w, failure] in pss.failures("baseline:hostPorts")
	finding := {"key": w.key, "message": pss.message(w, failure)}
}
