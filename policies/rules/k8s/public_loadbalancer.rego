# METADATA
# title: LoadBalancer Service is open to the internet
# description: |
#   A LoadBalancer Service gets a cloud load balancer. Unless the provider's
#   "internal" annotation is set it faces the internet, and unless
#   loadBalancerSourceRanges restricts it, anyone can reach the workloads
#   behind it, including admin ports that were meant for the cluster only.
# custom:
#   id: k8s/public-loadbalancer
#   severity: high
#   scope: stack
#   remediation: |
#     Make the load balancer internal with your provider's annotation (e.g.
#     service.beta.kubernetes.io/aws-load-balancer-scheme: internal,
#     networking.gke.io/load-balancer-type: Internal,
#     service.beta.kubernetes.io/azure-load-balancer-internal: "true"), or
#     restrict spec.loadBalancerSourceRanges to known networks; expose HTTP
#     through an Ingress with TLS and authentication instead.
#   frameworks:
#     nsa: ["Network separation and hardening: Network policies"]
package kscan.rules.k8s.public_loadbalancer

import data.kscan.lib.k8s

deny contains finding if {
	some svc in k8s.nodes("k8s:core/Service")
	public(svc)
	open_to := open_ranges(svc)
	targets := sort(k8s.outgoing(svc.key, "selects"))
	finding := {
		"key": svc.key,
		"message": sprintf("%s is a public load balancer open to %s, exposing %s", [k8s.node_label(svc), open_to, exposed(targets)]),
		"discriminator": "public",
		"related": targets,
	}
}

# public(svc): a LoadBalancer Service that is not internal by its provider's
# annotation and is open to everyone (path/internet-to-cloud-admin uses it).
public(svc) if {
	svc.object.spec.type == "LoadBalancer"
	not is_internal(k8s.annotations(svc.object.metadata))
	_ := open_ranges(svc)
}

is_internal(a) if k8s.flag_true(a["service.beta.kubernetes.io/aws-load-balancer-internal"])

is_internal(a) if lower_str(a["service.beta.kubernetes.io/aws-load-balancer-scheme"]) == "internal"

is_internal(a) if lower_str(a["networking.gke.io/load-balancer-type"]) == "internal"

is_internal(a) if lower_str(a["cloud.google.com/load-balancer-type"]) == "internal"

is_internal(a) if k8s.flag_true(a["service.beta.kubernetes.io/azure-load-balancer-internal"])

# The source ranges: spec.loadBalancerSourceRanges, or the older annotation
# when the field is not set.
ranges(svc) := r if {
	r := svc.object.spec.loadBalancerSourceRanges
	is_array(r)
	count(r) > 0
} else := r if {
	v := k8s.annotations(svc.object.metadata)["service.beta.kubernetes.io/load-balancer-source-ranges"]
	is_string(v)
	r := [trim_space(x) | some x in split(v, ",")]
} else := []

open_ranges(svc) := "everyone (no loadBalancerSourceRanges)" if {
	count([x | some x in ranges(svc); x != ""]) == 0
} else := sprintf("everyone (loadBalancerSourceRanges contains %s)", [concat(", ", sort(world))]) if {
	world := {x | some x in ranges(svc); x in {"0.0.0.0/0", "::/0"}}
	count(world) > 0
}

lower_str(v) := lower(trim_space(v)) if is_string(v)

exposed([]) := "no workload in the scanned inputs"

exposed(targets) := concat(", ", [input.nodes[t].id | some t in targets]) if count(targets) > 0
