package kscan.rules.iam.irsa_trust_unscoped_test

import data.kscan.rules.iam.irsa_trust_unscoped as rule

issuer := "oidc.eks.us-east-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE"

provider := sprintf("arn:aws:iam::111122223333:oidc-provider/%s", [issuer])

role(condition) := {"id": "arn:aws:iam::111122223333:role/r", "type": "aws:iam/Role", "object": {
	"Arn": "arn:aws:iam::111122223333:role/r", "RoleName": "r",
	"AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [object.union(
		{"Effect": "Allow", "Principal": {"Federated": provider}, "Action": "sts:AssumeRoleWithWebIdentity"},
		condition,
	)]},
}}

key(k) := sprintf("%s:%s", [issuer, k])

test_no_condition_denied if {
	inp := kscan.graph([role({})])
	count(rule.deny) == 1 with input as inp
}

test_aud_only_denied if {
	inp := kscan.graph([role({"Condition": {"StringEquals": {key("aud"): "sts.amazonaws.com"}}})])
	some f in rule.deny with input as inp
	contains(f.message, "no ")
}

test_sub_matches_every_sa_denied if {
	inp := kscan.graph([role({"Condition": {"StringLike": {key("sub"): "system:serviceaccount:*:*"}}})])
	some f in rule.deny with input as inp
	contains(f.message, "system:serviceaccount:*:*")
}

test_sub_star_denied if {
	inp := kscan.graph([role({"Condition": {"StringLike": {key("sub"): "*"}}})])
	count(rule.deny) == 1 with input as inp
}

test_exact_sub_allowed if {
	inp := kscan.graph([role({"Condition": {"StringEquals": {key("sub"): "system:serviceaccount:shop:web", key("aud"): "sts.amazonaws.com"}}})])
	count(rule.deny) == 0 with input as inp
}

test_namespace_wildcard_allowed if {
	inp := kscan.graph([role({"Condition": {"StringLike": {key("sub"): "system:serviceaccount:jobs:*"}}})])
	count(rule.deny) == 0 with input as inp
}

test_literal_star_in_string_equals_allowed if {
	# StringEquals has no wildcards: "*" matches only the literal "*".
	inp := kscan.graph([role({"Condition": {"StringEquals": {key("sub"): "system:serviceaccount:*:*"}}})])
	count(rule.deny) == 0 with input as inp
}
