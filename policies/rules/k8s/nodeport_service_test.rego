package kscan.rules.k8s.nodeport_service_test

import data.kscan.rules.k8s.nodeport_service as rule

svc(spec) := {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "s", "namespace": "ns"}, "spec": spec}

test_nodeport_denied if {
	inp := kscan.graph([svc({"type": "NodePort", "ports": [{"port": 80, "nodePort": 30080}]})])
	some f in rule.deny with input as inp
	f.key == "ns/Service/s"
	contains(f.message, "30080")
}

test_nodeport_without_fixed_port_denied if {
	inp := kscan.graph([svc({"type": "NodePort", "ports": [{"port": 80}]})])
	count(rule.deny) == 1 with input as inp
}

test_nodeport_null_ports_denied if {
	inp := kscan.graph([svc({"type": "NodePort", "ports": null})])
	count(rule.deny) == 1 with input as inp
}

test_cluster_ip_allowed if {
	inp := kscan.graph([svc({"type": "ClusterIP", "ports": [{"port": 80}]})])
	count(rule.deny) == 0 with input as inp
}

test_default_type_allowed if {
	inp := kscan.graph([svc({"ports": [{"port": 80}]})])
	count(rule.deny) == 0 with input as inp
}

test_loadbalancer_left_to_public_loadbalancer_allowed if {
	inp := kscan.graph([svc({"type": "LoadBalancer", "ports": [{"port": 80, "nodePort": 30080}]})])
	count(rule.deny) == 0 with input as inp
}
