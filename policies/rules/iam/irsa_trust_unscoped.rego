# METADATA
# title: IAM role trusts every identity of an OIDC provider
# description: |
#   The role trusts an OIDC provider (such as an EKS cluster's, for IRSA)
#   for sts:AssumeRoleWithWebIdentity without a :sub condition, or with a
#   :sub pattern that matches every ServiceAccount
#   (system:serviceaccount:*:*). Every pod of the cluster that mounts a
#   projected token, in any namespace, can then assume the role.
# custom:
#   id: iam/irsa-trust-unscoped
#   watch: ["aws:*"]
#   severity: high
#   identity: resource + trust statement and principal
#   applies_to:
#     - "aws:iam/Role"
#   no_framework: "CIS AWS Foundations v3.0.0 has no control for OIDC (IRSA) trust conditions; the NSA/CISA guidance does not cover cloud IAM."
#   scope: resource
#   remediation: |
#     Add a StringEquals condition on <issuer>:sub with the exact
#     ServiceAccount ("system:serviceaccount:<namespace>:<name>") and on
#     <issuer>:aud with "sts.amazonaws.com".
package kscan.rules.iam.irsa_trust_unscoped

import data.kscan.lib.iam

deny contains finding if {
	some r in iam.roles
	some issue in iam.attr(r, "oidc_unscoped", [])
	finding := {
		"key": r.key,
		"message": sprintf("IAM %s: %s", [iam.label(r), issue.reason]),
		"discriminator": sprintf("%s|%s", [issue.statement, issue.principal]),
	}
}
