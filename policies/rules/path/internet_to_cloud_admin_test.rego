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
	f.key == "shop/Deployment/web"
	contains(f.message, "Deployment shop/web runs as ServiceAccount shop/web, which assumes IAM role ops")
	contains(f.message, "Internet → LoadBalancer Service shop/web → Deployment shop/web")
	contains(f.message, "AdministratorAccess")
	f.related == sort([role_arn, "shop/Service/web", "shop/ServiceAccount/web"])
}

test_ingress_to_escalation_denied if {
	inp := kscan.graph([role("arn:aws:iam::aws:policy/IAMFullAccess"), sa, deploy, service("ClusterIP", {}), ingress])
	some f in rule.deny with input as inp
	f.key == "shop/Deployment/web"
	contains(f.message, "Internet → Ingress shop/web (HTTP, hosts *) → Service shop/web → Deployment shop/web")
}

gateway := {"apiVersion": "gateway.networking.k8s.io/v1", "kind": "Gateway", "metadata": {"name": "public", "namespace": "shop"}, "spec": {
	"gatewayClassName": "example",
	"listeners": [{"name": "https", "port": 443, "protocol": "HTTPS", "tls": {"certificateRefs": [{"name": "cert"}]}}],
}}

httproute := {"apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute", "metadata": {"name": "web", "namespace": "shop"}, "spec": {
	"parentRefs": [{"name": "public"}],
	"rules": [{"backendRefs": [{"name": "web", "port": 80}]}],
}}

test_gateway_route_to_admin_denied if {
	inp := kscan.graph([role(admin), sa, deploy, service("ClusterIP", {}), gateway, httproute])
	some f in rule.deny with input as inp
	f.key == "shop/Deployment/web"
	contains(f.message, "Internet → Gateway shop/public (listener https, 443/HTTPS) → HTTPRoute shop/web → Service shop/web → Deployment shop/web")
	"shop/HTTPRoute/web" in f.related
	"shop/Gateway/public" in f.related
}

test_internal_gateway_allowed if {
	gw := json.patch(gateway, [{"op": "add", "path": "/spec/infrastructure", "value": {"annotations": {"service.beta.kubernetes.io/aws-load-balancer-scheme": "internal"}}}])
	inp := kscan.graph([role(admin), sa, deploy, service("ClusterIP", {}), gw, httproute])
	count(rule.deny) == 0 with input as inp
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

# The path, in order, for reports that draw it (SARIF codeFlows, HTML).
test_ingress_path_in_order_denied if {
	inp := kscan.graph([role("arn:aws:iam::aws:policy/IAMFullAccess"), sa, deploy, service("ClusterIP", {}), ingress])
	some f in rule.deny with input as inp
	[s.key | some s in f.path] == ["shop/Ingress/web", "shop/Service/web", "shop/Deployment/web", "shop/ServiceAccount/web", role_arn]
	[s.edge | some s in f.path; s.edge] == ["routes-to", "routes-to", "runs-as", "assumes"]
}
