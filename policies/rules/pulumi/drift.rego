# METADATA
# title: Kubernetes object drifted from its Pulumi declaration
# description: |
#   A kubernetes:* resource in a scanned stack differs from the live object in
#   the fields the stack declares (spec, labels, annotations, RBAC rules,
#   subjects and roleRef, ConfigMap data), or is missing from the cluster.
#   Fields the API server defaults or manages (status, managedFields,
#   resourceVersion, uid, creationTimestamp, generation, defaulted fields) are
#   not compared, so an untouched object shows no drift. Needs a Pulumi state
#   and a live cluster in the same scan; the comparison is done in Go.
# custom:
#   id: pulumi/drift
#   watch: namespace
#   severity: high
#   identity: resource + kind of drift (changed or missing)
#   no_framework: "Drift between declared and running objects is no control of the CIS, NSA/CISA or Pod Security catalogues."
#   remediation: |
#     Find who changed the object (kubectl, an operator, a hotfix) and either
#     bring the change into the Pulumi program or run `pulumi up` (after
#     `pulumi refresh --preview-only` to review) to restore the declared state.
#   frameworks:
#     nist-800-53: ["CM-3", "CM-6"]
#   scope: stack
package kscan.rules.pulumi.drift

import data.kscan.lib.k8s

deny contains finding if {
	some n in k8s.with_attr("pulumi_drift")
	d := n.attrs.pulumi_drift
	count(d.changed) > 0
	finding := {
		"key": n.key,
		"message": sprintf("live object %s differs from the stack in: %s", [d.live, concat(", ", d.changed)]),
		"related": [d.live_key],
		"discriminator": "changed",
	}
}

deny contains finding if {
	some n in k8s.with_attr("pulumi_drift")
	n.attrs.pulumi_drift.missing == true
	finding := {
		"key": n.key,
		"message": sprintf("%s %s is declared in the stack but missing from the cluster", [n.kind, n.attrs.k8s_id]),
		"discriminator": "missing",
	}
}
