# METADATA
# title: ServiceAccount names an IAM role that does not trust it
# description: |
#   The ServiceAccount's eks.amazonaws.com/role-arn annotation names an IAM
#   role whose trust policy does not admit
#   system:serviceaccount:<namespace>:<name> (wrong namespace or name in the
#   :sub condition, wrong audience, another cluster's OIDC provider). Pods
#   that use it get no AWS credentials from the role and usually fall back to
#   the node's role or fail at run time; kscan does not count it as access.
# custom:
#   id: iam/irsa-trust-mismatch
#   watch: namespace
#   severity: low
#   identity: resource + annotated role ARN
#   no_framework: "CIS AWS Foundations v3.0.0 has no control for OIDC (IRSA) trust conditions; the NSA/CISA guidance does not cover cloud IAM."
#   scope: stack
#   remediation: |
#     Fix the annotation or the role's trust policy so that its :sub condition
#     names this ServiceAccount, or remove the annotation if the workload
#     needs no AWS access.
package kscan.rules.iam.irsa_trust_mismatch

import data.kscan.lib.k8s

deny contains finding if {
	some e in object.get(input.facts, ["iam", "irsa"], [])
	e.admitted == false
	sa := input.nodes[e.sa]
	finding := {
		"key": sa.key,
		"message": sprintf("%s is annotated with IAM role %s, but %s: its pods get no credentials from that role", [k8s.node_label(sa), e.role_arn, e.reason]),
		"discriminator": e.role_arn,
		"related": [e.role],
	}
}
