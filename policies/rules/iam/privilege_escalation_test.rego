package kscan.rules.iam.privilege_escalation_test

import data.kscan.rules.iam.privilege_escalation as rule

acct := "arn:aws:iam::111122223333"

user(name, statements) := {"id": sprintf("%s:user/%s", [acct, name]), "type": "aws:iam/User", "object": {
	"Arn": sprintf("%s:user/%s", [acct, name]), "UserName": name,
	"UserPolicyList": [{"PolicyName": "p", "PolicyDocument": {"Version": "2012-10-17", "Statement": statements}}],
}}

allow(action, resource) := {"Effect": "Allow", "Action": action, "Resource": resource}

test_create_policy_version_denied if {
	inp := kscan.graph([user("u", [allow("iam:CreatePolicyVersion", "*")])])
	some f in rule.deny with input as inp
	contains(f.message, "CreatePolicyVersion")
}

test_passrole_with_lambda_denied if {
	inp := kscan.graph([user("u", [allow(["iam:PassRole", "lambda:CreateFunction"], "*")])])
	some f in rule.deny with input as inp
	contains(f.message, "PassRole+Lambda")
}

test_wildcard_action_denied if {
	inp := kscan.graph([user("u", [allow("iam:Put*", "*")])])
	count(rule.deny) == 1 with input as inp
}

test_create_access_key_on_others_denied if {
	inp := kscan.graph([user("u", [allow("iam:CreateAccessKey", "arn:aws:iam::*:user/*")])])
	count(rule.deny) == 1 with input as inp
}

test_create_access_key_on_self_allowed if {
	inp := kscan.graph([user("u", [allow("iam:CreateAccessKey", "arn:aws:iam::111122223333:user/${aws:username}")])])
	count(rule.deny) == 0 with input as inp
}

test_passrole_alone_allowed if {
	inp := kscan.graph([user("u", [allow("iam:PassRole", "*")])])
	count(rule.deny) == 0 with input as inp
}

test_denied_escalation_allowed if {
	inp := kscan.graph([user("u", [allow("iam:*", "*"), {"Effect": "Deny", "Action": "iam:*", "Resource": "*"}])])
	count(rule.deny) == 0 with input as inp
}

test_aws_managed_policy_version_allowed if {
	inp := kscan.graph([user("u", [allow("iam:CreatePolicyVersion", "arn:aws:iam::aws:policy/x-*")])])
	count(rule.deny) == 0 with input as inp
}

test_admin_reported_by_admin_rule_allowed if {
	inp := kscan.graph([user("u", [allow("*", "*")])])
	count(rule.deny) == 0 with input as inp
}

test_expired_condition_allowed if {
	s := object.union(allow("iam:CreatePolicyVersion", "*"), {"Condition": {"DateLessThan": {"aws:CurrentTime": "2020-01-01T00:00:00Z"}}})
	inp := kscan.graph([user("u", [s])])
	count(rule.deny) == 0 with input as inp
}
