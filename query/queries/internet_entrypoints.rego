# METADATA
# title: Ways in from the internet
# description: |
#   Every object that opens a way in from the internet (a public
#   LoadBalancer Service, an Ingress, a Gateway API or Istio Gateway), once
#   per object, with how it is reached and the workloads behind it (none
#   when it forwards to nothing among the inputs).
# custom:
#   name: internet-entrypoints
#   watch: namespace
#   watch_key: entry
#   columns: [entry, via, protocols, ports, hosts, workloads]
package kscan.queries.internet_entrypoints

import data.kscan

result contains row if {
	some key, routes in object.get(kscan.facts, ["exposure", "entries"], {})
	public := [r | some r in routes; r.internet]
	count(public) > 0
	row := {
		"entry": kscan.nodes[key].id,
		"via": sort({r.kind | some r in public}),
		"protocols": sort({r.protocol | some r in public}),
		"ports": sort({p | some r in public; some p in r.ports}),
		"hosts": sort({h | some r in public; some h in r.hosts}),
		"workloads": sort({kscan.nodes[r.workload].id | some r in public; r.workload != ""}),
	}
}
