# METADATA
# title: S3 bucket is public
# description: |
#   A bucket is readable (or writable) by anyone when it has a public canned
#   ACL (public-read, public-read-write) or a bucket policy that allows
#   Principal "*" without a restricting Condition, and no public-access block
#   neutralises it (ignorePublicAcls/blockPublicAcls for ACLs,
#   restrictPublicBuckets/blockPublicPolicy for policies). ACLs and policies
#   set on the bucket itself or by aws:s3 BucketAclV2 / BucketPolicy
#   resources are checked.
# custom:
#   id: aws/public-s3-bucket
#   watch: ["aws:*"]
#   severity: high
#   identity: resource + exposure kind (acl or policy)
#   applies_to:
#     - "aws:s3/Bucket"
#     - "aws:s3/BucketV2"
#   remediation: |
#     Remove the public ACL or the Principal "*" statement, and add an
#     aws.s3.BucketPublicAccessBlock with all four settings true. Serve public
#     content through CloudFront with origin access control instead.
#   frameworks:
#     cis-aws: ["2.1.4"]
#   scope: stack
package kscan.rules.aws.public_s3_bucket

import data.kscan.lib.k8s

bucket_types := {"aws:s3/Bucket", "aws:s3/BucketV2"}

public_acls := {"public-read", "public-read-write"}

buckets contains b if {
	some t in bucket_types
	some b in k8s.nodes(t)
}

# name(n): the bucket name a node is or refers to.
name(b) := b.object.bucket if is_string(b.object.bucket)

name(b) := b.object.id if {
	not is_string(b.object.bucket)
	is_string(b.object.id)
}

# Public ACL on the bucket or from a BucketAcl resource for it.
public_acl(b) := b.object.acl if b.object.acl in public_acls

public_acl(b) := a.object.acl if {
	some t in {"aws:s3/BucketAclV2", "aws:s3/BucketAcl"}
	some a in k8s.nodes(t)
	a.object.bucket == name(b)
	a.object.acl in public_acls
}

# Policy documents that apply to the bucket: inline or from BucketPolicy.
policies(b) := {d |
	d := b.attrs.policy_document
	is_object(d)
} | {d |
	some p in k8s.nodes("aws:s3/BucketPolicy")
	p.object.bucket == name(b)
	d := p.attrs.policy_document
	is_object(d)
}

statements(d) := d.Statement if is_array(d.Statement)

statements(d) := [d.Statement] if is_object(d.Statement)

star_principal(s) if s.Principal == "*"

star_principal(s) if s.Principal.AWS == "*"

star_principal(s) if "*" in s.Principal.AWS

public_policy(b) if {
	some d in policies(b)
	some s in statements(d)
	s.Effect == "Allow"
	star_principal(s)
	not s.Condition
}

blocked(b, setting) if {
	some p in k8s.nodes("aws:s3/BucketPublicAccessBlock")
	p.object.bucket == name(b)
	p.object[setting] == true
}

acl_blocked(b) if blocked(b, "ignorePublicAcls")

acl_blocked(b) if blocked(b, "blockPublicAcls")

policy_blocked(b) if blocked(b, "restrictPublicBuckets")

policy_blocked(b) if blocked(b, "blockPublicPolicy")

deny contains finding if {
	some b in buckets
	acl := public_acl(b)
	not acl_blocked(b)
	finding := {
		"key": b.key,
		"message": sprintf("bucket %q has the public ACL %q and no public-access block ignoring it", [name(b), acl]),
		"discriminator": "acl",
	}
}

deny contains finding if {
	some b in buckets
	public_policy(b)
	not policy_blocked(b)
	finding := {
		"key": b.key,
		"message": sprintf("bucket %q has a policy allowing Principal \"*\" without a condition and no public-access block restricting it", [name(b)]),
		"discriminator": "policy",
	}
}
