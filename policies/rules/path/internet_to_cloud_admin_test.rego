package kscan.rules.path.internet_to_cloud_admin_test

import data.kscan.rules.path.internet_to_cloud_admin as rule

issuer := "oidc.eks.us-east-1.amazonaws.com/id/EXAMPLE"

role_arn := "arn:aws:iam::111122223333:role/ops"

role(attached) := {"id": role_arn, "type": "aws:iam/Role", "object": {
	"Arn": role_arn, "RoleName": "ops",
	"AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [{
		"Effect": "Allow", "Action": "sts:AssumeRoleWithWebIdentity",
		"Principal": {"Federated": sprintf("arn:aws:iam::111122223333:oidc-provider/%s", [issuer])},
		"Condition": {"StringEquals": {sprintf("%s:sub", [issuer]): "system:serviceaccount:shop:web"}},
	}]},
	"AttachedManagedPolicies": [{"PolicyArn": attached, "PolicyName": attached}],
}}

sa := {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "web", "namespace": "shop", "annotations": {"eks.amazonaws.com/role-arn": role_arn}}}

deploy := {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web", "namespace": "shop"}, "spec": {
	"selector": {"matchLabels": {"app": "web"}},
	"template": {"metadata": {"labels": {"app": "web"}}, "spec": {"serviceAccountName": "web", "containers": [{"name": "app", "image": "app:1"}]}},
}}

service(typ, annotations) := {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web", "namespace": "shop", "annotations": annotations}, "spec": {
	"type": typ, "selector": {"app": "web"}, "ports": [{"port": 80}],
}}

ingress := {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": {"name": "web", "namespace": "shop"}, "spec": {"rules": [{"http": {"paths": [{"path": "/", "pathType": "Prefix", "backend": {"service": {"name": "web", "port": {"number": 80}}}}]}}]}}

admin := "arn:aws:iam::aws:policy/AdministratorAccess"

test_public_lb_to_admin_denied if {
	inp := kscan.graph([role(admin), sa, deploy, service("LoadBalancer", {})])
	some f in rule.deny with input as inp
	f.key == role_arn
	contains(f.message, "public LoadBalancer Service shop/web → Deployment shop/web → ServiceAccount shop/web → IAM role ops")
	contains(f.message, "AdministratorAccess")
}

test_ingress_to_escalation_denied if {
	inp := kscan.graph([role("arn:aws:iam::aws:policy/IAMFullAccess"), sa, deploy, service("ClusterIP", {}), ingress])
	some f in rule.deny with input as inp
	contains(f.message, "Ingress shop/web → Service shop/web")
}

test_internal_lb_allowed if {
	inp := kscan.graph([role(admin), sa, deploy, service("LoadBalancer", {"service.beta.kubernetes.io/aws-load-balancer-internal": "true"})])
	count(rule.deny) == 0 with input as inp
}

test_cluster_ip_only_allowed if {
	inp := kscan.graph([role(admin), sa, deploy, service("ClusterIP", {})])
	count(rule.deny) == 0 with input as inp
}

test_scoped_role_allowed if {
	inp := kscan.graph([role("arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"), sa, deploy, service("LoadBalancer", {})])
	count(rule.deny) == 0 with input as inp
}
