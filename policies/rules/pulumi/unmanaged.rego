# METADATA
# title: Live object labelled as managed by Pulumi is in no scanned stack
# description: |
#   A live object carries app.kubernetes.io/managed-by=pulumi but none of the
#   scanned stacks declares it: a leftover of a deleted stack or resource, a
#   copy made by hand, or a stack that was not scanned. Nobody's program owns
#   it any more, so nobody reviews or updates it. Needs a Pulumi state and a
#   live cluster in the same scan.
# custom:
#   id: pulumi/unmanaged
#   watch: namespace
#   severity: low
#   identity: resource
#   no_framework: "Objects outside Pulumi management are no control of the CIS, NSA/CISA or Pod Security catalogues."
#   remediation: |
#     Scan every stack that deploys to the cluster; import the object into the
#     stack that should own it (pulumi import) or delete it.
#   frameworks:
#     nist-800-53: ["CM-8"]
#   scope: stack
package kscan.rules.pulumi.unmanaged

import data.kscan.lib.k8s

deny contains finding if {
	some n in k8s.with_attr("pulumi_unmanaged")
	n.attrs.pulumi_unmanaged == true
	finding := {
		"key": n.key,
		"message": sprintf("%s is labelled app.kubernetes.io/managed-by=pulumi but no scanned stack declares it", [n.id]),
	}
}
