# The query model of kscan query (docs/query.md): the graph rules see
# (docs/policy-input.md) under short names, and helpers that answer the
# usual questions. A query imports it as data.kscan (kscan query does that
# for an expression given on the command line).
#
# Rego reserves the word "in", so the edge maps are edges_out and edges_in
# (input.out and input.in are the same maps).
package kscan

import data.kscan.lib.k8s
import data.kscan.lib.rbac as rbaclib

# nodes[key]: every node. by_type[type] and by_attr[name]: keys.
nodes := input.nodes

by_type := input.by_type

by_attr := input.by_attr

# edges_out[key][edge_type] and edges_in[key][edge_type]: node keys.
edges_out := input.out

edges_in := input.in

# facts.<name>: the facts computed in Go for rules (rbac, iam, exposure,
# registry, pss).
facts := input.facts

# params: the values of --param, with the defaults a named query declares
# filled in.
params := object.get(input, "params", {})

# param(name, fallback): one parameter, fallback when not given.
param(name, fallback) := object.get(params, name, fallback)

# of_type(t): the nodes of one type, e.g. "k8s:core/Service".
of_type(t) := [input.nodes[k] | some k in object.get(input.by_type, t, [])]

# out(key, edge) and incoming(key, edge): the keys an edge type leads to
# from a node, and comes from into it.
out(key, edge) := object.get(input.out, [key, edge], [])

incoming(key, edge) := object.get(input.in, [key, edge], [])

# workloads: every object with a pod spec, except those a controller in the
# graph owns (a Deployment's ReplicaSets and Pods are answered through the
# Deployment). Each has key, id, kind, namespace, name, service_account,
# labels, pod_spec, containers…
workloads := k8s.workloads

# workload(key): the workload with that node key.
workload(key) := k8s.workload_index[key]

# containers(w): init, regular and ephemeral containers of a workload, each
# with name, image, list, index, image_ref {registry, repository, tag,
# digest} and resolved_digest when a registry was asked.
containers(w) := w.containers

# label(n): "Deployment shop/web", "ClusterRole admin", or the id of a
# node that is not a Kubernetes object.
label(n) := k8s.node_label(n) if n.kind

label(n) := n.id if not n.kind

# repository(c): "docker.io/library/mysql"; version(c): the tag ("" when
# none); digest(c): the pinned digest, else the one a registry resolved,
# else "".
repository(c) := sprintf("%s/%s", [c.image_ref.registry, c.image_ref.repository])

version(c) := c.image_ref.tag

digest(c) := d if {
	d := c.image_ref.digest
} else := d if {
	d := c.resolved_digest
} else := ""

# routes(w): every way into a workload (exposure/: load balancers, node
# ports, host ports, Ingress, Gateway API, Istio), each with kind, scope,
# internet, entry, via, protocol, tls, ports, hosts, path.
routes(w) := object.get(input.facts, ["exposure", "workloads", w.key], [])

# exposed(w): anyone on the internet can reach the workload.
exposed(w) if {
	some r in routes(w)
	r.internet
}

# internet_routes(w): the routes of exposed(w).
internet_routes(w) := [r | some r in routes(w); r.internet]

# pss_level(w): the strictest Pod Security Standards level the workload
# meets ("restricted", "baseline" or "privileged"), judged by Kubernetes'
# own checks (pss/).
pss_level(w) := "privileged" if {
	count(input.facts.pss.workloads[w.key].baseline) > 0
} else := "baseline" if {
	count(input.facts.pss.workloads[w.key].restricted) > 0
} else := "restricted"

# pss_failures(w, level): the failed controls of a level, by control id.
pss_failures(w, level) := object.get(input.facts, ["pss", "workloads", w.key, level], {})

# service_account(w): the key of the ServiceAccount node a workload runs
# as, when the graph has it.
service_account(w) := k if some k in out(w.key, "runs-as")

# iam_roles(w): the IAM role nodes a workload's ServiceAccount may assume
# (IRSA, Pod Identity), as iampolicy/ joined them.
iam_roles(w) := [input.nodes[r] |
	some sa in out(w.key, "runs-as")
	some r in out(sa, "assumes")
]

# grants(subject): the bindings naming a subject ("ServiceAccount shop/web",
# "User alice", "Group dev"; a "<cluster>: " prefix with several clusters),
# each {binding, role, namespace} with namespace "" for the whole cluster.
grants(subject) := object.get(input.facts, ["rbac", "subjects", subject], [])

# groups(subject): the groups the API server puts a subject in, besides
# those an identity provider adds (unknown here): every authenticated
# subject is in system:authenticated, a ServiceAccount also in
# system:serviceaccounts and system:serviceaccounts:<namespace>.
groups(subject) := {"Group system:authenticated", "Group system:serviceaccounts", sprintf("Group system:serviceaccounts:%s", [ns])} if {
	startswith(subject, "ServiceAccount ")
	ns := split(trim_prefix(subject, "ServiceAccount "), "/")[0]
} else := {"Group system:authenticated"} if {
	startswith(subject, "User ")
} else := set()

# can(subject, verb, resource, ns): a binding of the subject, or of a group
# it is in, grants a role whose effective rules (aggregation resolved) allow
# verb on resource ("secrets", "deployments.apps", "pods/exec") in namespace
# ns ("" or "*": anywhere, cluster-wide bindings only when "*"). Rules
# limited by resourceNames count: see can_how for the names. kscan who-can
# and kscan access answer the same with the API server's own authorizer.
can(subject, verb, resource, ns) if {
	some how in can_how(subject, verb, resource, ns)
	how
}

# can_how(subject, verb, resource, ns): how can() is allowed, one entry per
# binding and rule: {subject, binding, role, namespace, names}.
can_how(subject, verb, resource, ns) := [h |
	some s in ({subject} | groups(subject))
	some g in grants(s)
	in_scope(g.namespace, ns)
	role := input.nodes[g.role]
	some rule in rbaclib.rules_of(role)
	allows(rule, verb, resource)
	h := {
		"subject": s, "binding": g.binding, "role": g.role, "namespace": g.namespace,
		"names": object.get(rule, "resourceNames", []),
	}
]

in_scope("", _)

in_scope(bound, ns) if {
	bound != ""
	bound == ns
}

in_scope(bound, "") if bound != ""

# allows(rule, verb, resource): one PolicyRule allows a verb on a
# resource[.group][/subresource].
allows(rule, verb, resource) if {
	r := parse_resource(resource)
	some v in object.get(rule, "verbs", [])
	v in {"*", verb}
	some g in object.get(rule, "apiGroups", [])
	g in {"*", r.group}
	some res in object.get(rule, "resources", [])
	resource_matches(res, r)
}

parse_resource(s) := {"resource": res, "group": group, "sub": sub} if {
	parts := split(s, "/")
	head := split(parts[0], ".")
	res := head[0]
	group := concat(".", array.slice(head, 1, count(head)))
	sub := concat("/", array.slice(parts, 1, count(parts)))
}

resource_matches("*", _)

resource_matches(res, r) if {
	r.sub == ""
	res == r.resource
}

resource_matches(res, r) if {
	r.sub != ""
	res in {sprintf("%s/%s", [r.resource, r.sub]), sprintf("*/%s", [r.sub])}
}

# path(from, to): the shortest chain of edges from one node key to another,
# following edges forward, as [{key, edge}] (edge: the edge to the next
# step; "" on the last), at most 8 edges; undefined when there is none.
path(from, to) := kscan_shortest_path(input.out, from, to, 8)

# related(key): every node key one edge away, in either direction.
related(key) := {k |
	some _, ks in object.get(input.out, key, {})
	some k in ks
} | {k |
	some _, ks in object.get(input.in, key, {})
	some k in ks
}
