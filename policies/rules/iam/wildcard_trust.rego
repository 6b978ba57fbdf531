# METADATA
# title: IAM role can be assumed by anyone
# description: |
#   The role's trust policy allows Principal "*" (or {"AWS": "*"}) with no
#   condition that restricts who may assume it (aws:PrincipalOrgID,
#   aws:PrincipalAccount, aws:SourceAccount, aws:SourceArn, sts:ExternalId…).
#   Any AWS account in the world can then assume the role and use its
#   permissions.
# custom:
#   id: iam/wildcard-trust
#   watch: ["aws:*"]
#   severity: critical
#   identity: resource + trust statement
#   applies_to:
#     - "aws:iam/Role"
#   no_framework: "CIS AWS Foundations v3.0.0 has no control for role trust policies, and the NSA/CISA guidance does not cover cloud IAM."
#   scope: resource
#   remediation: |
#     Name the trusted accounts or roles in Principal, or add a condition on
#     aws:PrincipalOrgID (your organization) or sts:ExternalId (third parties).
package kscan.rules.iam.wildcard_trust

import data.kscan.lib.iam

deny contains finding if {
	some r in iam.roles
	some issue in iam.attr(r, "wildcard_trust", [])
	finding := {
		"key": r.key,
		"message": sprintf("IAM %s can be assumed by any AWS principal: %s", [iam.label(r), issue.reason]),
		"discriminator": issue.statement,
	}
}
