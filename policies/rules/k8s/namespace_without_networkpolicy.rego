# METADATA
# title: Namespace has workloads but no NetworkPolicy
# description: |
#   Kubernetes lets every pod talk to every other pod unless a NetworkPolicy
#   selects it. A namespace with workloads and no NetworkPolicy is flat: one
#   compromised pod anywhere in the cluster can reach all of them.
# custom:
#   id: k8s/namespace-without-networkpolicy
#   watch: namespace
#   severity: medium
#   identity: resource
#   applies_to:
#     - "k8s:core/Namespace"
#   scope: stack
#   remediation: |
#     Add a default-deny NetworkPolicy to the namespace (podSelector: {},
#     policyTypes: [Ingress, Egress]) and then policies that allow the
#     traffic each workload needs.
#   frameworks:
#     cis: ["5.3.2"]
#     nsa: ["Network separation and hardening: Network policies"]
package kscan.rules.k8s.namespace_without_networkpolicy

import data.kscan.lib.k8s

deny contains finding if {
	some ns in k8s.nodes("k8s:core/Namespace")
	count(k8s.incoming(ns.key, "protects")) == 0
	held := sort([k | some k in k8s.incoming(ns.key, "in-namespace"); k in k8s.workload_keys])
	count(held) > 0
	finding := {
		"key": ns.key,
		"message": sprintf("Namespace %q holds %d workload(s) and no NetworkPolicy", [ns.name, count(held)]),
		"discriminator": "networkpolicy",
		"related": held,
	}
}
