package kscan.rules.iam.admin_policy_test

import data.kscan.rules.iam.admin_policy as rule

acct := "arn:aws:iam::111122223333"

role(name, attached, inline) := {"id": sprintf("%s:role/%s", [acct, name]), "type": "aws:iam/Role", "object": {
	"Arn": sprintf("%s:role/%s", [acct, name]), "RoleName": name, "Path": "/",
	"AttachedManagedPolicies": [{"PolicyArn": a, "PolicyName": a} | some a in attached],
	"RolePolicyList": inline,
}}

policy(name, document) := {"id": sprintf("%s:policy/%s", [acct, name]), "type": "aws:iam/Policy", "object": {
	"Arn": sprintf("%s:policy/%s", [acct, name]), "PolicyName": name, "Document": document,
}}

doc(effect, action, resource) := {"Version": "2012-10-17", "Statement": [{"Effect": effect, "Action": action, "Resource": resource}]}

admin_arn := "arn:aws:iam::aws:policy/AdministratorAccess"

test_attached_admin_denied if {
	inp := kscan.graph([role("ops", [admin_arn], [])])
	some f in rule.deny with input as inp
	f.key == "arn:aws:iam::111122223333:role/ops"
	contains(f.message, "AdministratorAccess")
}

test_inline_admin_denied if {
	inp := kscan.graph([role("ops", [], [{"PolicyName": "all", "PolicyDocument": doc("Allow", "*", "*")}])])
	count(rule.deny) == 1 with input as inp
}

test_customer_policy_admin_denied if {
	inp := kscan.graph([role("ops", [sprintf("%s:policy/all", [acct])], []), policy("all", doc("Allow", ["*"], ["*"]))])
	count(rule.deny) == 1 with input as inp
}

test_group_admin_denied if {
	user := {"id": sprintf("%s:user/alice", [acct]), "type": "aws:iam/User", "object": {"Arn": sprintf("%s:user/alice", [acct]), "UserName": "alice", "GroupList": ["admins"]}}
	group := {"id": sprintf("%s:group/admins", [acct]), "type": "aws:iam/Group", "object": {"Arn": sprintf("%s:group/admins", [acct]), "GroupName": "admins", "AttachedManagedPolicies": [{"PolicyArn": admin_arn, "PolicyName": "AdministratorAccess"}]}}
	inp := kscan.graph([user, group])
	keys := {f.key | some f in rule.deny} with input as inp
	keys == {"arn:aws:iam::111122223333:user/alice", "arn:aws:iam::111122223333:group/admins"}
}

test_explicit_deny_allowed if {
	inp := kscan.graph([role("ops", [admin_arn], [{"PolicyName": "deny", "PolicyDocument": doc("Deny", "*", "*")}])])
	count(rule.deny) == 0 with input as inp
}

test_deny_of_iam_allowed if {
	inp := kscan.graph([role("ops", [admin_arn], [{"PolicyName": "deny", "PolicyDocument": doc("Deny", "iam:*", "*")}])])
	count(rule.deny) == 0 with input as inp
}

test_permissions_boundary_allowed if {
	r := role("ops", [admin_arn], [])
	capped := json.patch(r, [{"op": "add", "path": "/object/PermissionsBoundary", "value": {"PermissionsBoundaryArn": sprintf("%s:policy/s3-only", [acct]), "PermissionsBoundaryType": "Policy"}}])
	inp := kscan.graph([capped, policy("s3-only", doc("Allow", "s3:*", "*"))])
	count(rule.deny) == 0 with input as inp
}

test_service_wildcard_allowed if {
	inp := kscan.graph([role("ops", [], [{"PolicyName": "iam", "PolicyDocument": doc("Allow", "iam:*", "*")}])])
	count(rule.deny) == 0 with input as inp
}

test_not_action_allowed if {
	power := {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "NotAction": ["iam:*", "organizations:*"], "Resource": "*"}]}
	inp := kscan.graph([role("ops", [], [{"PolicyName": "power", "PolicyDocument": power}])])
	count(rule.deny) == 0 with input as inp
}

test_service_linked_role_allowed if {
	r := role("AWSServiceRoleForX", [admin_arn], [])
	slr := json.patch(r, [{"op": "replace", "path": "/object/Path", "value": "/aws-service-role/x.amazonaws.com/"}])
	inp := kscan.graph([slr])
	count(rule.deny) == 0 with input as inp
}
