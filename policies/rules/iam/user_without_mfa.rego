# METADATA
# title: IAM user signs in to the console without MFA
# description: |
#   The user has a console password but no MFA device (from the IAM
#   credential report: live scans with --aws, or the JSON of
#   `aws iam get-credential-report` as an input). A phished or reused
#   password is then enough to sign in.
# custom:
#   id: iam/user-without-mfa
#   watch: ["aws:*"]
#   severity: medium
#   identity: resource
#   applies_to:
#     - "aws:iam/User"
#   scope: resource
#   remediation: |
#     Enable MFA for the user (a virtual or hardware device), or remove the
#     console password if the user only needs programmatic access; better,
#     move people to IAM Identity Center.
#   frameworks:
#     cis-aws: ["1.10"]
package kscan.rules.iam.user_without_mfa

import data.kscan.lib.iam
import data.kscan.lib.k8s

deny contains finding if {
	some u in k8s.nodes("aws:iam/User")
	iam.attr(u, "console_without_mfa", false) == true
	finding := {
		"key": u.key,
		"message": sprintf("IAM %s has a console password and no MFA device", [iam.label(u)]),
		"discriminator": "mfa",
	}
}
