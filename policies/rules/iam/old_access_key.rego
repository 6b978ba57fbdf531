# METADATA
# title: IAM access key not rotated for 90 days
# description: |
#   An active access key of the user was created or last rotated more than
#   90 days before the credential report was generated (live scans with
#   --aws, or the JSON of `aws iam get-credential-report` as an input).
#   Long-lived keys leak through laptops, CI logs and repositories, and
#   nobody remembers where they are used.
# custom:
#   id: iam/old-access-key
#   watch: ["aws:*"]
#   severity: low
#   identity: resource + access key slot
#   applies_to:
#     - "aws:iam/User"
#   scope: resource
#   remediation: |
#     Rotate the key (create a new one, switch its users, deactivate and
#     delete the old one), or replace it with a role assumed through SSO,
#     OIDC or an instance profile.
#   frameworks:
#     cis-aws: ["1.14"]
package kscan.rules.iam.old_access_key

import data.kscan.lib.iam
import data.kscan.lib.k8s

deny contains finding if {
	some u in k8s.nodes("aws:iam/User")
	some k in iam.attr(u, "old_access_keys", [])
	finding := {
		"key": u.key,
		"message": sprintf("IAM %s has an active %s last rotated %s (%d days before the credential report)", [iam.label(u), replace(k.key, "_", " "), k.last_rotated, k.age_days]),
		"discriminator": k.key,
	}
}
