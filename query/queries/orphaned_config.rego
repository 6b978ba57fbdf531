# METADATA
# title: ConfigMaps and Secrets nothing uses
# description: |
#   ConfigMaps and Secrets that no workload in the inputs mounts or reads
#   (volumes, projected volumes, env and envFrom of every container,
#   imagePullSecrets), no ServiceAccount lists, no Ingress or Gateway
#   listener uses as its certificate. Secrets of types other tools own
#   (service-account tokens, bootstrap tokens, Helm release records) are
#   left out by type, not by name. Only the number of keys is shown, never
#   a value. Controllers that read a ConfigMap by name through the API
#   (leader election, operators) are not seen: check before deleting.
# custom:
#   name: orphaned-config
#   watch: namespace
#   watch_key: object
#   columns: [object, keys, source]
#   limits: objects read through the API by name (operators, leader election) look unused
package kscan.queries.orphaned_config

import data.kscan
import data.kscan.lib.k8s

workload_types := {
	"k8s:core/Pod", "k8s:apps/Deployment", "k8s:apps/StatefulSet", "k8s:apps/DaemonSet",
	"k8s:apps/ReplicaSet", "k8s:core/ReplicationController", "k8s:batch/Job", "k8s:batch/CronJob",
}

owned_types := {"kubernetes.io/service-account-token", "bootstrap.kubernetes.io/token", "helm.sh/release.v1"}

# pod_spec(n): the pod spec of any workload node, owned ones included (a
# live Pod's volumes are as real as its Deployment's).
pod_spec(n) := n.object.spec if {
	n.kind == "Pod"
} else := n.object.spec.jobTemplate.spec.template.spec if {
	n.kind == "CronJob"
} else := n.object.spec.template.spec

# refs: [namespace, pod spec, containers] of every workload object (owned
# ones too: an old ReplicaSet still mounts what it mounts), read once. A
# workload of kscan.workloads brings its containers already listed; an
# owned one (not in kscan.workloads) is read from its node.
refs := [[n.namespace, spec, cs] |
	some t in workload_types
	some n in kscan.of_type(t)
	[spec, cs] := spec_containers(n)
]

spec_containers(n) := [w.pod_spec, w.containers] if {
	w := k8s.workload_index[n.key]
} else := [spec, [c |
	some list in ["initContainers", "containers", "ephemeralContainers"]
	some c in object.get(spec, list, [])
]] if {
	spec := pod_spec(n)
}

used contains [ns, "ConfigMap", v.configMap.name] if {
	some [ns, spec, _] in refs
	some v in spec.volumes
	v.configMap.name
}

used contains [ns, "Secret", v.secret.secretName] if {
	some [ns, spec, _] in refs
	some v in spec.volumes
	v.secret.secretName
}

used contains [ns, kind, name] if {
	some [ns, spec, _] in refs
	some v in spec.volumes
	some src in v.projected.sources
	some [kind, field] in [["ConfigMap", "configMap"], ["Secret", "secret"]]
	name := src[field].name
}

used contains [ns, "Secret", p.name] if {
	some [ns, spec, _] in refs
	some p in spec.imagePullSecrets
}

used contains [ns, kind, name] if {
	some [ns, _, cs] in refs
	some c in cs
	some e in c.env
	some [kind, field] in [["ConfigMap", "configMapKeyRef"], ["Secret", "secretKeyRef"]]
	name := e.valueFrom[field].name
}

used contains [ns, kind, name] if {
	some [ns, _, cs] in refs
	some c in cs
	some e in c.envFrom
	some [kind, field] in [["ConfigMap", "configMapRef"], ["Secret", "secretRef"]]
	name := e[field].name
}

used contains [sa.namespace, "Secret", s.name] if {
	some sa in kscan.of_type("k8s:core/ServiceAccount")
	some field in ["secrets", "imagePullSecrets"]
	some s in object.get(sa.object, field, [])
}

used contains [ing.namespace, "Secret", t.secretName] if {
	some ing in kscan.of_type("k8s:networking.k8s.io/Ingress")
	some t in object.get(ing.object, ["spec", "tls"], [])
}

used contains [object.get(ref, "namespace", gw.namespace), "Secret", ref.name] if {
	some gw in kscan.of_type("k8s:gateway.networking.k8s.io/Gateway")
	some l in object.get(gw.object, ["spec", "listeners"], [])
	some ref in object.get(l, ["tls", "certificateRefs"], [])
	object.get(ref, "kind", "Secret") == "Secret"
}

result contains row if {
	some t in ["k8s:core/ConfigMap", "k8s:core/Secret"]
	some n in kscan.of_type(t)
	n.source.kind != "derived"
	not object.get(n.object, "type", "") in owned_types
	not [n.namespace, n.kind, n.name] in used
	row := {
		"object": n.id,
		"keys": (count(object.get(n.object, "data", {})) + count(object.get(n.object, "stringData", {}))) + count(object.get(n.object, "binaryData", {})),
		"source": location(n.source),
	}
}

location(s) := sprintf("%s:%d", [s.file, s.line]) if {
	s.file
	s.line
} else := object.get(s, "file", object.get(s, "path", s.kind))
