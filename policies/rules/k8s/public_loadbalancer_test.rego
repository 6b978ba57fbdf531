package kscan.rules.k8s.public_loadbalancer_test

import data.kscan.rules.k8s.public_loadbalancer as rule

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
