# METADATA
# title: Workloads exposed to the internet
# description: |
#   Every workload anyone on the internet can reach, once per way in: a
#   public LoadBalancer Service, an Ingress, a Gateway API or Istio Gateway
#   listener (kscan's exposure model, docs/exposure.md). Owned Pods and
#   ReplicaSets are listed under their own names when a route reaches them.
#   With via=loadbalancer: "which Pods are exposed to the Internet via a
#   load-balanced Service".
# custom:
#   name: exposed-workloads
#   watch: namespace
#   watch_key: workload
#   columns: [workload, via, entry, protocol, ports, path]
#   parameters:
#     - name: via
#       description: only routes of this kind (loadbalancer, nodeport, ingress, gateway, istio-gateway); empty for all
#       default: ""
package kscan.queries.exposed_workloads

import data.kscan

result contains row if {
	some r in object.get(kscan.facts, ["exposure", "routes"], [])
	r.internet
	r.workload != ""
	kscan.param("via", "") in {"", r.kind}
	w := kscan.nodes[r.workload]
	row := {
		"workload": w.id,
		"via": r.kind,
		"entry": kscan.nodes[r.entry].id,
		"protocol": r.protocol,
		"ports": r.ports,
		"path": r.path,
	}
}
