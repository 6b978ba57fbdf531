package kscan.rules.iam.old_access_key_test

import data.kscan.rules.iam.old_access_key as rule

user(report) := {"id": "arn:aws:iam::111122223333:user/u", "type": "aws:iam/User", "object": {
	"Arn": "arn:aws:iam::111122223333:user/u", "UserName": "u",
	"CredentialReport": object.union({"generated_time": "2026-11-01T00:00:00Z"}, report),
}}

test_old_active_key_denied if {
	inp := kscan.graph([user({"access_key_1_active": "true", "access_key_1_last_rotated": "2026-01-01T00:00:00+00:00"})])
	some f in rule.deny with input as inp
	contains(f.message, "access key 1")
}

test_second_key_denied if {
	inp := kscan.graph([user({"access_key_2_active": "true", "access_key_2_last_rotated": "2025-06-01T00:00:00+00:00"})])
	count(rule.deny) == 1 with input as inp
}

test_recent_key_allowed if {
	inp := kscan.graph([user({"access_key_1_active": "true", "access_key_1_last_rotated": "2026-10-01T00:00:00+00:00"})])
	count(rule.deny) == 0 with input as inp
}

test_inactive_old_key_allowed if {
	inp := kscan.graph([user({"access_key_1_active": "false", "access_key_1_last_rotated": "2020-01-01T00:00:00+00:00"})])
	count(rule.deny) == 0 with input as inp
}
