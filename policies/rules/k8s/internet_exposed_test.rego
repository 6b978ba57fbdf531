package kscan.rules.k8s.internet_exposed_test

import data.kscan.rules.k8s.internet_exposed as rule

svc(annotations, spec) := {
	"apiVersion": "v1", "kind": "Service",
	"metadata": {"name": "web", "namespace": "shop", "annotations": annotations},
	"spec": object.union({"type": "LoadBalancer", "selector": {"app": "web"}, "ports": [{"port": 443}]}, spec),
}

deploy(name, app) := {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name, "namespace": "shop"}, "spec": {
	"selector": {"matchLabels": {"app": app}},
	"template": {"metadata": {"labels": {"app": app}}, "spec": {"containers": [{"name": "a", "image": "x"}]}},
}}

test_public_denied_names_workloads if {
	inp := kscan.graph([svc({}, {}), deploy("web", "web"), deploy("api", "api")])
	some f in rule.deny with input as inp
	f.key == "shop/Service/web"
	f.related == ["shop/Deployment/web"]
	contains(f.message, "shop/Deployment/web")
	not contains(f.message, "api")
}

test_no_workload_denied if {
	inp := kscan.graph([svc({}, {})])
	some f in rule.deny with input as inp
	contains(f.message, "no workload")
}

test_world_source_range_denied if {
	inp := kscan.graph([svc({}, {"loadBalancerSourceRanges": ["10.0.0.0/8", "0.0.0.0/0"]})])
	some f in rule.deny with input as inp
	contains(f.message, "0.0.0.0/0")
}

test_ipv6_world_denied if {
	inp := kscan.graph([svc({}, {"loadBalancerSourceRanges": ["::/0"]})])
	count(rule.deny) == 1 with input as inp
}

test_internal_false_denied if {
	inp := kscan.graph([svc({"service.beta.kubernetes.io/aws-load-balancer-internal": "false"}, {})])
	count(rule.deny) == 1 with input as inp
}

test_internet_facing_scheme_denied if {
	inp := kscan.graph([svc({"service.beta.kubernetes.io/aws-load-balancer-scheme": "internet-facing"}, {})])
	count(rule.deny) == 1 with input as inp
}

test_aws_internal_allowed if {
	inp := kscan.graph([svc({"service.beta.kubernetes.io/aws-load-balancer-internal": "true"}, {})])
	count(rule.deny) == 0 with input as inp
}

test_aws_internal_unquoted_allowed if {
	inp := kscan.graph([svc({"service.beta.kubernetes.io/aws-load-balancer-internal": true}, {})])
	count(rule.deny) == 0 with input as inp
}

test_aws_scheme_internal_allowed if {
	inp := kscan.graph([svc({"service.beta.kubernetes.io/aws-load-balancer-scheme": "internal"}, {})])
	count(rule.deny) == 0 with input as inp
}

test_gke_internal_allowed if {
	every key in ["networking.gke.io/load-balancer-type", "cloud.google.com/load-balancer-type"] {
		count(rule.deny) == 0 with input as kscan.graph([svc({key: "Internal"}, {})])
	}
}

test_azure_internal_allowed if {
	inp := kscan.graph([svc({"service.beta.kubernetes.io/azure-load-balancer-internal": "true"}, {})])
	count(rule.deny) == 0 with input as inp
}

test_source_ranges_allowed if {
	inp := kscan.graph([svc({}, {"loadBalancerSourceRanges": ["203.0.113.0/24"]})])
	count(rule.deny) == 0 with input as inp
}

test_source_ranges_annotation_allowed if {
	inp := kscan.graph([svc({"service.beta.kubernetes.io/load-balancer-source-ranges": "203.0.113.0/24, 198.51.100.0/24"}, {})])
	count(rule.deny) == 0 with input as inp
}

test_cluster_ip_allowed if {
	inp := kscan.graph([svc({}, {"type": "ClusterIP"})])
	count(rule.deny) == 0 with input as inp
}

test_load_balancer_names_former_id if {
	inp := kscan.graph([svc({}, {}), deploy("web", "web")])
	some f in rule.deny with input as inp
	f.alias == "k8s/public-loadbalancer"
	f.discriminator == "public"
}

websvc := {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web", "namespace": "shop"}, "spec": {"selector": {"app": "web"}, "ports": [{"port": 80}]}}

gateway(listeners) := {"apiVersion": "gateway.networking.k8s.io/v1", "kind": "Gateway", "metadata": {"name": "gw", "namespace": "shop"}, "spec": {"gatewayClassName": "example", "listeners": listeners}}

route(kind, section) := {"apiVersion": "gateway.networking.k8s.io/v1", "kind": kind, "metadata": {"name": "r", "namespace": "shop"}, "spec": {
	"parentRefs": [{"name": "gw", "sectionName": section}],
	"rules": [{"backendRefs": [{"name": "web", "port": 80}]}],
}}

test_gateway_plain_http_medium if {
	inp := kscan.graph([deploy("web", "web"), websvc, gateway([{"name": "http", "port": 80, "protocol": "HTTP"}]), route("HTTPRoute", "http")])
	some f in rule.deny with input as inp
	f.key == "shop/Gateway/gw"
	f.severity == "medium"
	f.message == "Gateway shop/gw exposes Deployment shop/web to the internet: plain HTTP (listener http 80/HTTP, hosts *)"
	f.related == ["shop/Deployment/web", "shop/HTTPRoute/r", "shop/Service/web"]
	not f.alias
}

test_gateway_https_low if {
	inp := kscan.graph([deploy("web", "web"), websvc, gateway([{"name": "https", "port": 443, "protocol": "HTTPS"}]), route("HTTPRoute", "https")])
	some f in rule.deny with input as inp
	f.severity == "low"
	contains(f.message, "HTTPS (listener https 443/HTTPS")
}

test_gateway_tcp_high if {
	inp := kscan.graph([deploy("web", "web"), websvc, gateway([{"name": "db", "port": 5432, "protocol": "TCP"}]), route("TCPRoute", "db")])
	some f in rule.deny with input as inp
	f.severity == "high"
	contains(f.message, "raw TCP/UDP (listener db 5432/TCP")
}

test_gateway_internal_allowed if {
	gw := json.patch(gateway([{"name": "http", "port": 80, "protocol": "HTTP"}]), [{"op": "add", "path": "/spec/gatewayClassName", "value": "gke-l7-rilb"}])
	inp := kscan.graph([deploy("web", "web"), websvc, gw, route("HTTPRoute", "http")])
	count(rule.deny) == 0 with input as inp
}

test_ingress_low if {
	ing := {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": {"name": "web", "namespace": "shop"}, "spec": {
		"ingressClassName": "nginx",
		"tls": [{"hosts": ["shop.example.com"]}],
		"rules": [{"host": "shop.example.com", "http": {"paths": [{"path": "/", "pathType": "Prefix", "backend": {"service": {"name": "web", "port": {"number": 80}}}}]}}],
	}}
	inp := kscan.graph([deploy("web", "web"), websvc, ing])
	some f in rule.deny with input as inp
	f.severity == "low"
	f.message == "Ingress shop/web exposes Deployment shop/web to the internet: HTTPS (class nginx, hosts shop.example.com)"
}

test_node_port_and_host_port_not_internet_allowed if {
	np := json.patch(websvc, [{"op": "add", "path": "/spec/type", "value": "NodePort"}])
	hp := {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "namespace": "shop"}, "spec": {"containers": [{"name": "a", "image": "x", "ports": [{"containerPort": 80, "hostPort": 80}]}]}}
	count(rule.deny) == 0 with input as kscan.graph([deploy("web", "web"), np, hp])
}

test_istio_gateway_redirect_and_https_low if {
	gw := {"apiVersion": "networking.istio.io/v1", "kind": "Gateway", "metadata": {"name": "shop", "namespace": "shop"}, "spec": {
		"selector": {"istio": "ingressgateway"},
		"servers": [
			{"port": {"number": 80, "name": "http", "protocol": "HTTP"}, "hosts": ["*"], "tls": {"httpsRedirect": true}},
			{"port": {"number": 443, "name": "https", "protocol": "HTTPS"}, "hosts": ["*"], "tls": {"mode": "SIMPLE"}},
		],
	}}
	vs := {"apiVersion": "networking.istio.io/v1", "kind": "VirtualService", "metadata": {"name": "web", "namespace": "shop"}, "spec": {
		"hosts": ["*"], "gateways": ["shop"],
		"http": [{"route": [{"destination": {"host": "web"}}]}],
	}}
	inp := kscan.graph([deploy("web", "web"), websvc, gw, vs])
	some f in rule.deny with input as inp
	f.key == "shop/Gateway/shop"
	f.severity == "low"
	contains(f.message, "HTTP redirected to HTTPS (server http 80/HTTP, hosts *); HTTPS (server https 443/HTTPS, hosts *)")
	contains(f.message, "assumed internet-facing")
}
