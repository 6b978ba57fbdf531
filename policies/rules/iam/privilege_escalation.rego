# METADATA
# title: IAM principal can escalate its privileges
# description: |
#   The principal is not an administrator but holds permissions that let it
#   become one: changing policies (iam:CreatePolicyVersion,
#   SetDefaultPolicyVersion, Attach*/Put*Policy, AddUserToGroup), taking over
#   other users (CreateAccessKey, CreateLoginProfile, UpdateLoginProfile),
#   rewriting a role's trust (UpdateAssumeRolePolicy), or passing a role to a
#   service that runs code it controls (iam:PassRole with
#   lambda:CreateFunction, ec2:RunInstances, glue:CreateDevEndpoint,
#   cloudformation:CreateStack, datapipeline:CreatePipeline, CodeBuild,
#   SageMaker), or changing code that runs with a role
#   (lambda:UpdateFunctionCode, glue:UpdateDevEndpoint). Explicit Deny and
#   permissions boundaries are honoured; AWS service-linked roles are not
#   reported.
# custom:
#   id: iam/privilege-escalation
#   watch: ["aws:*"]
#   severity: high
#   identity: resource
#   applies_to:
#     - "aws:iam/User"
#     - "aws:iam/Group"
#     - "aws:iam/Role"
#   no_framework: "CIS AWS Foundations v3.0.0 has no control for IAM privilege-escalation paths (1.16 covers only '*:*' policies), and the NSA/CISA guidance does not cover cloud IAM."
#   scope: stack
#   remediation: |
#     Remove the escalation actions, or limit them with Resource to what the
#     principal must manage (never to itself or to policies it is attached
#     to); limit iam:PassRole to the specific roles the service needs; use a
#     permissions boundary for principals that create roles or policies.
package kscan.rules.iam.privilege_escalation

import data.kscan.lib.iam

deny contains finding if {
	some p in iam.principals
	not iam.admin(p)
	iam.escalates(p)
	not iam.service_linked(p)
	finding := {
		"key": p.key,
		"message": sprintf("IAM %s %s", [iam.label(p), iam.why(p)]),
		"discriminator": "escalation",
	}
}
