# METADATA
# title: Service of type NodePort
# description: |
#   A NodePort Service opens its port on every node of the cluster, on every
#   node address, bypassing the load balancer and Ingress that were meant to
#   be the only way in. Node addresses are often reachable from more networks
#   than intended.
# custom:
#   id: k8s/nodeport-service
#   watch: namespace
#   severity: low
#   identity: resource
#   applies_to:
#     - "k8s:core/Service"
#   remediation: |
#     Use a ClusterIP Service behind an Ingress or an internal LoadBalancer;
#     if NodePort is required, restrict access to node ports with firewall
#     rules or security groups.
#   frameworks:
#     nsa: ["Network separation and hardening: Network policies"]
package kscan.rules.k8s.nodeport_service

import data.kscan.lib.k8s

deny contains finding if {
	some svc in k8s.nodes("k8s:core/Service")
	svc.object.spec.type == "NodePort"
	ports := sort({sprintf("%v", [p.nodePort]) | some p in k8s.list_of(svc.object.spec.ports); p.nodePort != null})
	finding := {
		"key": svc.key,
		"message": sprintf("%s is of type NodePort%s: it listens on every node", [k8s.node_label(svc), port_list(ports)]),
		"discriminator": "nodeport",
	}
}

port_list([]) := ""

port_list(ports) := sprintf(" (node ports %s)", [concat(", ", ports)]) if count(ports) > 0
