package kscan.rules.iam.wildcard_trust_test

import data.kscan.rules.iam.wildcard_trust as rule

role(trust) := {"id": "arn:aws:iam::111122223333:role/r", "type": "aws:iam/Role", "object": {
	"Arn": "arn:aws:iam::111122223333:role/r", "RoleName": "r",
	"AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [trust]},
}}

test_principal_star_denied if {
	inp := kscan.graph([role({"Effect": "Allow", "Principal": "*", "Action": "sts:AssumeRole"})])
	count(rule.deny) == 1 with input as inp
}

test_aws_star_denied if {
	inp := kscan.graph([role({"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"})])
	some f in rule.deny with input as inp
	f.key == "arn:aws:iam::111122223333:role/r"
}

test_aws_star_in_list_denied if {
	inp := kscan.graph([role({"Effect": "Allow", "Principal": {"AWS": ["arn:aws:iam::444455556666:root", "*"]}, "Action": "sts:AssumeRole"})])
	count(rule.deny) == 1 with input as inp
}

test_org_condition_allowed if {
	inp := kscan.graph([role({"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole", "Condition": {"StringEquals": {"aws:PrincipalOrgID": "o-abc123"}}})])
	count(rule.deny) == 0 with input as inp
}

test_external_id_allowed if {
	inp := kscan.graph([role({"Effect": "Allow", "Principal": "*", "Action": "sts:AssumeRole", "Condition": {"StringEquals": {"sts:ExternalId": "x"}}})])
	count(rule.deny) == 0 with input as inp
}

test_named_account_allowed if {
	inp := kscan.graph([role({"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::444455556666:root"}, "Action": "sts:AssumeRole"})])
	count(rule.deny) == 0 with input as inp
}
