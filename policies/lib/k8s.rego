# Helpers for rules about Kubernetes objects. The heavy lifting (pod specs,
# container lists, image references, label selectors) is done in Go when the
# input is built; these names make rules read well.
package kscan.lib.k8s

# Every object that carries a pod spec (Pod, Deployment, StatefulSet,
# DaemonSet, ReplicaSet, ReplicationController, Job, CronJob), except those
# owned by another workload in the graph. Each has: key, id, kind, namespace,
# name, long_running, pod_meta, pod_spec, spec_path, service_account, labels,
# containers (init, regular and ephemeral; each with list, index, image_ref).
workloads := input.k8s.workloads

# workload_index maps a workload's key to the workload. A complete rule, so it
# is built once per evaluation: following an edge to a workload is then a
# lookup, not a scan of every workload.
workload_index := {w.key: w | some w in workloads}

# nodes(type) lists the nodes of a type, e.g. "k8s:core/Service".
nodes(type) := [input.nodes[k] | some k in object.get(input.by_type, type, [])]

# with_attr(name) lists the nodes whose attrs carry name: the way to find the
# few nodes a Go enricher marked without looking at every node.
with_attr(name) := [input.nodes[k] | some k in object.get(input.by_attr, name, [])]

# image_users(img): [workload, container] for each container that runs the
# image node img (one the registry collector made).
image_users(img) := [[w, c] |
	some wk in incoming(img.key, "runs-image")
	w := workload_index[wk]
	some c in w.containers
	input.facts.registry.refs[c.image] == img.key
]

# outgoing(key, edge) and incoming(key, edge) follow edges by type.
outgoing(key, edge) := object.get(input.out, [key, edge], [])

incoming(key, edge) := object.get(input.in, [key, edge], [])

# container_label names a container in messages.
container_label(c) := sprintf("%s %q", [kind_of(c.list), c.name])

kind_of("initContainers") := "init container"

kind_of("containers") := "container"

kind_of("ephemeralContainers") := "ephemeral container"

# A value is true only when it is the boolean true (not "true", not absent).
is_true(x) if x == true

# The effective security context value of a container: the container's own
# setting, else the pod's (for fields that exist at both levels).
effective(_, c, field) := c.securityContext[field]

effective(w, c, field) := w.pod_spec.securityContext[field] if {
	not has_key(object.get(c, "securityContext", {}), field)
}

has_key(obj, k) if _ = obj[k]

# A note for rule authors: under "not", OPA evaluates a function's
# arguments before the negation (open-policy-agent/opa#5793), so
# `not f(c.securityContext.x)` or `not is_object(c.probe)` is false, not
# true, when the field is absent. Negate a plain reference
# (`not c.securityContext.privileged == true`) or a helper that takes only
# bound values (`not has_probe(c)`).

# annotations(meta): the annotations of a metadata object, {} when absent.
annotations(meta) := a if {
	a := meta.annotations
	is_object(a)
} else := {}

# A string-or-boolean flag is set: true, or "true" in any case (annotation
# values are strings, but hand-written YAML often leaves them unquoted).
flag_true(v) if v == true

flag_true(v) if {
	is_string(v)
	lower(trim_space(v)) == "true"
}

# list_of(x): x when it is a list, else [] (YAML "ports:" with no value is
# null). Like any function it is undefined when x is undefined: iterating
# over it is then simply empty, but to count a field that may be missing read
# it with object.get(obj, path, []) first.
list_of(x) := x if is_array(x)

list_of(x) := [] if not is_array(x)

# Regular containers (not init, not ephemeral).
regular(c) if c.list == "containers"

# workload_keys: the keys of all workloads, to test membership quickly.
workload_keys := {w.key | some w in workloads}

# workload_label(w): "Deployment shop/web" for messages.
workload_label(w) := sprintf("%s %s/%s", [w.kind, w.namespace, w.name])

# node_label(n): "Service shop/web" or "ClusterRole admin" for messages.
node_label(n) := sprintf("%s %s/%s", [n.kind, n.namespace, n.name]) if n.namespace != ""

node_label(n) := sprintf("%s %s", [n.kind, n.name]) if n.namespace == ""

# resolves_now(c): with registry data (kscan scan --registry), the digest the
# container's tag points at now, so a fix can be pasted; "" without it.
resolves_now(c) := sprintf("; it resolves to %s@%s now", [c.image, c.resolved_digest]) if c.resolved_digest

resolves_now(c) := "" if not c.resolved_digest
