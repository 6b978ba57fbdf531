# METADATA
# title: Declared in Pulumi but not running
# description: |
#   Kubernetes resources a Pulumi stack declares (its state file) that the
#   live cluster does not have, as Pulumi drift detection (enrich/drift)
#   joins them by kind, namespace and name. Needs both a Pulumi state and a
#   live cluster among the inputs; a type the cluster scan did not read
#   (no live object of that type at all) is not judged.
# custom:
#   name: declared-not-running
#   columns: [resource, type, urn, state]
#   limits: needs --pulumi-state (or a state file) and a live cluster (--kubeconfig)
package kscan.queries.declared_not_running

import data.kscan.lib.k8s

result contains row if {
	some n in k8s.with_attr("pulumi_drift")
	n.attrs.pulumi_drift.missing == true
	row := {
		"resource": object.get(n, ["attrs", "k8s_id"], n.id),
		"type": n.type,
		"urn": object.get(n.source, "urn", n.id),
		"state": object.get(n.source, "file", ""),
	}
}
