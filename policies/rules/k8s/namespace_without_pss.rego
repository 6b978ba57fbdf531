# METADATA
# title: Namespace without a Pod Security enforce label
# description: |
#   Without a pod-security.kubernetes.io/enforce label, Pod Security admission
#   admits any pod into the namespace (unless the cluster's admission
#   configuration sets another default): privileged pods, host namespaces and
#   hostPath volumes included. Labels for audit and warn only report.
# custom:
#   id: k8s/namespace-without-pss
#   watch: namespace
#   identity: resource
#   applies_to:
#     - "k8s:core/Namespace"
#   severity: low
#   remediation: |
#     Label the namespace with the strictest level its workloads meet, for
#     example pod-security.kubernetes.io/enforce: restricted (or baseline),
#     and pin pod-security.kubernetes.io/enforce-version.
#   frameworks:
#     cis: ["5.2.1"]
#     nsa: ["Kubernetes Pod security: Pod security enforcement"]
package kscan.rules.k8s.namespace_without_pss

import data.kscan.lib.k8s

enforce_label := "pod-security.kubernetes.io/enforce"

# Only Namespaces read from an input: one kscan derived from its objects'
# metadata.namespace has no labels to read.
deny contains finding if {
	some ns in k8s.nodes("k8s:core/Namespace")
	ns.source.kind != "derived"
	not has_enforce(ns)
	finding := {
		"key": ns.key,
		"message": sprintf("Namespace %q has no %s label: Pod Security admission admits any pod into it", [ns.name, enforce_label]),
	}
}

has_enforce(ns) if is_string(ns.object.metadata.labels[enforce_label])
