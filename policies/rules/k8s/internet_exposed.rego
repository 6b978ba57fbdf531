# METADATA
# title: Workload is exposed to the internet
# description: |
#   Something outside the cluster opens a way in to the workloads behind it
#   for anyone on the internet. kscan's exposure model (docs/exposure.md)
#   follows every way in: a LoadBalancer Service that is not internal by its
#   provider's annotation and not limited by loadBalancerSourceRanges (high:
#   raw TCP/UDP to the pods, including admin ports meant for the cluster
#   only), a Gateway API Gateway or Istio Gateway listener forwarding raw
#   TCP, UDP or TLS passthrough (high) or plain HTTP (medium) to them, and
#   an Ingress or HTTPS listener (low: the usual way to publish a web
#   application, listed so the attack surface is known; plain HTTP on an
#   Ingress is k8s/ingress-without-tls). This rule was k8s/public-loadbalancer
#   for the load balancer case; ignores and baselines naming that id still
#   match it.
# custom:
#   id: k8s/internet-exposed
#   watch: namespace
#   aliases: [k8s/public-loadbalancer]
#   severity: high
#   identity: resource + kind of exposure (load balancer, NodePort, Ingress, …)
#   scope: stack
#   remediation: |
#     Make the load balancer internal with your provider's annotation (e.g.
#     service.beta.kubernetes.io/aws-load-balancer-scheme: internal,
#     networking.gke.io/load-balancer-type: Internal,
#     service.beta.kubernetes.io/azure-load-balancer-internal: "true"), or
#     restrict spec.loadBalancerSourceRanges to known networks; publish HTTP
#     through an Ingress or Gateway listener with TLS and authentication, and
#     never forward raw TCP from the internet to a workload that does not
#     need it.
#   frameworks:
#     nsa: ["Network separation and hardening: Network policies"]
package kscan.rules.k8s.internet_exposed

import data.kscan.lib.k8s

entries := object.get(input.facts, ["exposure", "entries"], {})

# The load balancer case, as k8s/public-loadbalancer reported it (same
# message and discriminator, so former baselines match unchanged).
deny contains finding if {
	some key, rs in entries
	lb := [r | some r in rs; r.kind == "loadbalancer"; r.internet]
	count(lb) > 0
	svc := input.nodes[key]
	targets := sort({r.workload | some r in lb; r.workload != ""})
	finding := {
		"key": key,
		"message": sprintf("%s is a public load balancer open to %s, exposing %s", [k8s.node_label(svc), open_to(lb[0]), exposed(targets)]),
		"discriminator": "public",
		"alias": "k8s/public-loadbalancer",
		"related": targets,
	}
}

# Ingresses, Gateway API Gateways and Istio Gateways: one finding per entry
# object, listing what it forwards and how.
deny contains finding if {
	some key, rs in entries
	routed := [r | some r in rs; r.kind in {"ingress", "gateway", "istio-gateway"}; r.internet; r.workload != ""]
	count(routed) > 0
	entry := input.nodes[key]
	workloads := sort({r.workload | some r in routed})
	finding := {
		"key": key,
		"severity": severity(routed),
		"message": sprintf("%s exposes %s to the internet: %s%s", [
			k8s.node_label(entry), names(workloads), concat("; ", sort({how(r) | some r in routed})), assumed(routed),
		]),
		"discriminator": routed[0].kind,
		"related": sort({k | some r in routed; some k in array.concat(r.via, [r.workload])}),
	}
}

# Raw TCP/UDP or TLS passthrough reaches the pods themselves; plain HTTP
# through a Gateway is readable on the way (an Ingress without TLS is
# k8s/ingress-without-tls); HTTPS is the expected way in.
severity(rs) := "high" if {
	some r in rs
	not r.l7
} else := "medium" if {
	some r in rs
	not r.tls
	r.kind != "ingress"
} else := "low"

how(r) := sprintf("%s (%s)", [mode(r), concat(", ", array.concat(listener(r), [sprintf("hosts %s", [concat(", ", r.hosts)])]))])

mode(r) := "raw TCP/UDP" if {
	not r.l7
	not r.tls
} else := sprintf("%s to the pods", [r.protocol]) if {
	not r.l7
} else := "plain HTTP" if {
	not r.tls
} else := "HTTP redirected to HTTPS" if {
	r.protocol == "HTTP"
} else := "HTTPS"

listener(r) := [sprintf("%s %s %s", [listener_word[r.kind], r.listener, concat(", ", r.ports)])] if r.listener != ""

# What Gateway API and Istio call the parts of a Gateway.
listener_word := {"gateway": "listener", "istio-gateway": "server"}

listener(r) := [sprintf("class %s", [r.class])] if {
	r.listener == ""
	r.class != ""
}

listener(r) := [] if {
	r.listener == ""
	r.class == ""
}

assumed(rs) := sprintf(" (%s)", [concat("; ", notes)]) if {
	notes := sort({r.assumed | some r in rs; r.assumed != ""})
	count(notes) > 0
} else := ""

names(keys) := concat(", ", [k8s.node_label(input.nodes[k]) | some k in keys])

open_to(r) := "everyone (no loadBalancerSourceRanges)" if {
	count(r.source_ranges) == 0
} else := sprintf("everyone (loadBalancerSourceRanges contains %s)", [concat(", ", sort(world))]) if {
	world := {x | some x in r.source_ranges; endswith(x, "/0")}
	count(world) > 0
}

exposed([]) := "no workload in the scanned inputs"

exposed(targets) := concat(", ", [input.nodes[t].id | some t in targets]) if count(targets) > 0
