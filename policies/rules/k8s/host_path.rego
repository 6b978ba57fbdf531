# METADATA
# title: Pod mounts a hostPath volume
# description: |
#   A hostPath volume exposes part of the node's filesystem to the pod. Writable,
#   it lets the pod plant files the node executes; even read-only, paths such
#   as the container runtime socket, /var/lib/kubelet or /etc give away the node.
# custom:
#   id: k8s/host-path
#   severity: high
#   identity: resource + volume name
#   remediation: |
#     Use emptyDir, a PersistentVolumeClaim, a ConfigMap/Secret or a CSI driver
#     instead. If a node agent really needs host files, mount the narrowest
#     path read-only and isolate the workload in its own namespace.
#   frameworks:
#     cis: ["5.2.12"]
#     nsa: ["Kubernetes Pod security: Pod security enforcement"]
#     pss: ["baseline:hostPathVolumes", "restricted:volumeTypes"]
package kscan.rules.k8s.host_path

import data.kscan.lib.k8s

# One finding per workload, listing every hostPath volume: they are fixed
# together, in one pod spec.
deny contains finding if {
	some w in k8s.workloads
	mounts := [sprintf("%q as volume %q", [object.get(v.hostPath, "path", ""), object.get(v, "name", "")]) |
		some v in k8s.list_of(w.pod_spec.volumes)
		is_object(v.hostPath)
	]
	count(mounts) > 0
	finding := {
		"key": w.key,
		"message": sprintf("%s mounts %s %s", [k8s.workload_label(w), noun(count(mounts)), concat(", ", mounts)]),
		"discriminator": "hostPath",
	}
}

noun(1) := "hostPath"

noun(n) := sprintf("%d hostPath volumes:", [n]) if n > 1
