# METADATA
# title: IAM principal has full administrator access
# description: |
#   The user's, group's or role's effective permissions allow every action on
#   every resource ("*" on "*"), through inline, attached or group policies.
#   Anyone who gets its credentials owns the account. An explicit Deny of all
#   actions (or of a whole sensitive service) or a permissions boundary that
#   removes it means no finding. AWS service-linked roles are not reported.
# custom:
#   id: iam/admin-policy
#   watch: ["aws:*"]
#   severity: critical
#   identity: resource
#   applies_to:
#     - "aws:iam/User"
#     - "aws:iam/Group"
#     - "aws:iam/Role"
#   scope: stack
#   remediation: |
#     Replace AdministratorAccess and "Action": "*" policies with policies that
#     list the actions and resources the principal needs; keep administrator
#     access for break-glass roles that require MFA, or cap the principal with
#     a permissions boundary.
#   frameworks:
#     cis-aws: ["1.16"]
package kscan.rules.iam.admin_policy

import data.kscan.lib.iam

deny contains finding if {
	some p in iam.principals
	iam.admin(p)
	not iam.service_linked(p)
	finding := {
		"key": p.key,
		"message": sprintf("IAM %s %s", [iam.label(p), iam.why(p)]),
		"discriminator": "admin",
	}
}
