package kscan.queries.workloads_with_cloud_admin_test

import data.kscan.queries.workloads_with_cloud_admin as q

issuer := "oidc.eks.us-east-1.amazonaws.com/id/EXAMPLE"

role(name, sub, attached) := {"id": sprintf("arn:aws:iam::111122223333:role/%s", [name]), "type": "aws:iam/Role", "object": {
	"Arn": sprintf("arn:aws:iam::111122223333:role/%s", [name]), "RoleName": name,
	"AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [{
		"Effect": "Allow", "Action": "sts:AssumeRoleWithWebIdentity",
		"Principal": {"Federated": sprintf("arn:aws:iam::111122223333:oidc-provider/%s", [issuer])},
		"Condition": {"StringEquals": {sprintf("%s:sub", [issuer]): sub}},
	}]},
	"AttachedManagedPolicies": [{"PolicyArn": a, "PolicyName": a} | some a in attached],
}}

sa(name, role_name) := {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": name, "namespace": "shop", "annotations": {"eks.amazonaws.com/role-arn": sprintf("arn:aws:iam::111122223333:role/%s", [role_name])}}}

deploy(name, sa_name) := {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name, "namespace": "shop"}, "spec": {
	"selector": {"matchLabels": {"app": name}},
	"template": {"metadata": {"labels": {"app": name}}, "spec": {"serviceAccountName": sa_name, "containers": [{"name": "app", "image": "app:1"}]}},
}}

test_admin_role_listed if {
	inp := kscan.graph([
		role("ops", "system:serviceaccount:shop:ops", ["arn:aws:iam::aws:policy/AdministratorAccess"]),
		role("reader", "system:serviceaccount:shop:web", ["arn:aws:iam::aws:policy/ReadOnlyAccess"]),
		sa("ops", "ops"), deploy("ops", "ops"),
		sa("web", "reader"), deploy("web", "web"),
	])
	rows := q.result with input as inp
	{[r.workload, r.service_account, r.role] | some r in rows} == {["shop/Deployment/ops", "shop/ServiceAccount/ops", "arn:aws:iam::111122223333:role/ops"]}
}

test_trust_not_admitting_not_listed if {
	inp := kscan.graph([
		role("ops", "system:serviceaccount:other:ops", ["arn:aws:iam::aws:policy/AdministratorAccess"]),
		sa("ops", "ops"), deploy("ops", "ops"),
	])
	count(q.result) == 0 with input as inp
}
