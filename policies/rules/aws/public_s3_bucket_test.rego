package kscan.rules.aws.public_s3_bucket_test

import data.kscan.rules.aws.public_s3_bucket as rule

bucket(obj) := {"id": "urn:pulumi:dev::app::aws:s3/bucket:Bucket::site", "type": "aws:s3/Bucket", "object": object.union({"bucket": "site-1234"}, obj)}

block(settings) := {"id": "urn:pulumi:dev::app::aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock::site", "type": "aws:s3/BucketPublicAccessBlock", "object": object.union({"bucket": "site-1234"}, settings)}

star_policy := {"id": "urn:pulumi:dev::app::aws:s3/bucketPolicy:BucketPolicy::site", "type": "aws:s3/BucketPolicy", "object": {"bucket": "site-1234"}, "attrs": {"policy_document": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::site-1234/*"}]}}}

test_public_read_acl_denied if {
	inp := kscan.graph([bucket({"acl": "public-read"})])
	count(rule.deny) == 1 with input as inp
}

test_acl_block_disabled_denied if {
	inp := kscan.graph([bucket({"acl": "public-read-write"}), block({"blockPublicAcls": false, "ignorePublicAcls": false})])
	count(rule.deny) == 1 with input as inp
}

test_star_policy_denied if {
	inp := kscan.graph([bucket({}), star_policy])
	some f in rule.deny with input as inp
	contains(f.message, "Principal")
}

test_private_bucket_allowed if {
	inp := kscan.graph([bucket({"acl": "private"})])
	count(rule.deny) == 0 with input as inp
}

test_blocked_acl_allowed if {
	inp := kscan.graph([bucket({"acl": "public-read"}), block({"blockPublicAcls": true, "ignorePublicAcls": true})])
	count(rule.deny) == 0 with input as inp
}

test_conditioned_policy_allowed if {
	p := json.patch(star_policy, [{"op": "add", "path": "/attrs/policy_document/Statement/0/Condition", "value": {"StringEquals": {"aws:SourceVpce": "vpce-1"}}}])
	inp := kscan.graph([bucket({}), p])
	count(rule.deny) == 0 with input as inp
}

test_restricted_policy_allowed if {
	inp := kscan.graph([bucket({}), star_policy, block({"restrictPublicBuckets": true})])
	count(rule.deny) == 0 with input as inp
}
