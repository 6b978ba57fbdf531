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

# nodes(type) lists the nodes of a type, e.g. "k8s:core/Service".
nodes(type) := [input.nodes[k] | some k in object.get(input.by_type, type, [])]

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
effective(w, c, field) := c.securityContext[field]

effective(w, c, field) := w.pod_spec.securityContext[field] if {
	not has_key(object.get(c, "securityContext", {}), field)
}

has_key(obj, k) if _ = obj[k]
