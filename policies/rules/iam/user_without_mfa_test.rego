package kscan.rules.iam.user_without_mfa_test

import data.kscan.rules.iam.user_without_mfa as rule

user(report) := {"id": "arn:aws:iam::111122223333:user/u", "type": "aws:iam/User", "object": {
	"Arn": "arn:aws:iam::111122223333:user/u", "UserName": "u", "CredentialReport": report,
}}

test_password_without_mfa_denied if {
	inp := kscan.graph([user({"password_enabled": "true", "mfa_active": "false"})])
	count(rule.deny) == 1 with input as inp
}

test_password_with_mfa_allowed if {
	inp := kscan.graph([user({"password_enabled": "true", "mfa_active": "true"})])
	count(rule.deny) == 0 with input as inp
}

test_no_password_allowed if {
	inp := kscan.graph([user({"password_enabled": "false", "mfa_active": "false"})])
	count(rule.deny) == 0 with input as inp
}
