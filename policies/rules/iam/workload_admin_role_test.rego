package kscan.rules.iam.workload_admin_role_test

import data.kscan.rules.iam.workload_admin_role as rule

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

sa(ns, name, role_name) := {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": name, "namespace": ns, "annotations": {"eks.amazonaws.com/role-arn": sprintf("arn:aws:iam::111122223333:role/%s", [role_name])}}}

deploy(ns, name, sa_name) := {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name, "namespace": ns}, "spec": {
	"selector": {"matchLabels": {"app": name}},
	"template": {"metadata": {"labels": {"app": name}}, "spec": {"serviceAccountName": sa_name, "containers": [{"name": "app", "image": "app:1"}]}},
}}

admin := "arn:aws:iam::aws:policy/AdministratorAccess"

test_irsa_admin_denied if {
	inp := kscan.graph([role("ops", "system:serviceaccount:shop:web", [admin]), sa("shop", "web", "ops"), deploy("shop", "web", "web")])
	some f in rule.deny with input as inp
	f.key == "shop/Deployment/web"
	contains(f.message, "ServiceAccount shop/web")
	contains(f.message, "arn:aws:iam::111122223333:role/ops")
}

test_irsa_escalation_denied if {
	r := role("ops", "system:serviceaccount:shop:web", ["arn:aws:iam::aws:policy/IAMFullAccess"])
	inp := kscan.graph([r, sa("shop", "web", "ops"), deploy("shop", "web", "web")])
	count(rule.deny) == 1 with input as inp
}

test_pod_identity_admin_denied if {
	r := {"id": "arn:aws:iam::111122223333:role/api", "type": "aws:iam/Role", "object": {
		"Arn": "arn:aws:iam::111122223333:role/api", "RoleName": "api",
		"AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "pods.eks.amazonaws.com"}, "Action": ["sts:AssumeRole", "sts:TagSession"]}]},
		"AttachedManagedPolicies": [{"PolicyArn": admin, "PolicyName": "AdministratorAccess"}],
	}}
	assoc := {"id": "arn:aws:eks:us-east-1:111122223333:podidentityassociation/prod/a-1", "type": "aws:eks/PodIdentityAssociation", "object": {
		"associationArn": "arn:aws:eks:us-east-1:111122223333:podidentityassociation/prod/a-1",
		"clusterName": "prod", "namespace": "shop", "serviceAccount": "api", "roleArn": "arn:aws:iam::111122223333:role/api",
	}}
	plain_sa := {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "api", "namespace": "shop"}}
	inp := kscan.graph([r, assoc, plain_sa, deploy("shop", "api", "api")])
	some f in rule.deny with input as inp
	contains(f.message, "EKS Pod Identity")
}

test_trust_mismatch_allowed if {
	inp := kscan.graph([role("ops", "system:serviceaccount:other:web", [admin]), sa("shop", "web", "ops"), deploy("shop", "web", "web")])
	count(rule.deny) == 0 with input as inp
}

test_scoped_role_allowed if {
	inp := kscan.graph([role("ops", "system:serviceaccount:shop:web", ["arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"]), sa("shop", "web", "ops"), deploy("shop", "web", "web")])
	count(rule.deny) == 0 with input as inp
}
