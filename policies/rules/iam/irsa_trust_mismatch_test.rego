package kscan.rules.iam.irsa_trust_mismatch_test

import data.kscan.rules.iam.irsa_trust_mismatch as rule

issuer := "oidc.eks.us-east-1.amazonaws.com/id/EXAMPLE"

role_arn := "arn:aws:iam::111122223333:role/payments"

role(sub) := {"id": role_arn, "type": "aws:iam/Role", "object": {
	"Arn": role_arn, "RoleName": "payments",
	"AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [{
		"Effect": "Allow", "Action": "sts:AssumeRoleWithWebIdentity",
		"Principal": {"Federated": sprintf("arn:aws:iam::111122223333:oidc-provider/%s", [issuer])},
		"Condition": {"StringEquals": {sprintf("%s:sub", [issuer]): sub, sprintf("%s:aud", [issuer]): "sts.amazonaws.com"}},
	}]},
}}

sa(ns, name) := {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": name, "namespace": ns, "annotations": {"eks.amazonaws.com/role-arn": role_arn}}}

test_other_namespace_denied if {
	inp := kscan.graph([role("system:serviceaccount:billing:payments"), sa("reports", "payments")])
	some f in rule.deny with input as inp
	f.key == "reports/ServiceAccount/payments"
	contains(f.message, "system:serviceaccount:billing:payments")
}

test_other_name_denied if {
	inp := kscan.graph([role("system:serviceaccount:billing:payments"), sa("billing", "reports")])
	count(rule.deny) == 1 with input as inp
}

test_no_web_identity_trust_denied if {
	r := {"id": role_arn, "type": "aws:iam/Role", "object": {"Arn": role_arn, "RoleName": "payments", "AssumeRolePolicyDocument": {
		"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}],
	}}}
	inp := kscan.graph([r, sa("billing", "payments")])
	count(rule.deny) == 1 with input as inp
}

test_matching_sa_allowed if {
	inp := kscan.graph([role("system:serviceaccount:billing:payments"), sa("billing", "payments")])
	count(rule.deny) == 0 with input as inp
}

test_unknown_role_allowed if {
	# The role is not among the inputs: nothing to judge.
	inp := kscan.graph([sa("billing", "payments")])
	count(rule.deny) == 0 with input as inp
}
