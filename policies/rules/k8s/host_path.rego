# METADATA
# title: Pod mounts a hostPath volume
# description: |
#   A hostPath volume exposes part of the node's filesystem to the pod. Writable,
#   it lets the pod plant files the node executes; even read-only, paths such
#   as the container runtime socket, /var/lib/kubelet or /etc give away the node.
#   kscan takes the verdict from Kubernetes' own Pod Security check
#   (k8s.io/pod-security-admission) at --pss-version: one finding per
#   workload, with the reason the API server gives.
# custom:
#   id: k8s/host-path
#   watch: namespace
#   severity: high
#   identity: resource + "hostPath" (one finding per workload)
#   applies_to:
#     - "workloads"
#   remediation: |
#     Use emptyDir, a PersistentVolumeClaim, a ConfigMap/Secret or a CSI driver
#     instead. If a node agent really needs host files, mount the narrowest
#     path read-only and isolate the workload in its own namespace.
#   frameworks:
#     cis: ["5.2.12"]
#     nsa: ["Kubernetes Pod security: Pod security enforcement"]
#     pss: ["baseline:hostPathVolumes"]
package kscan.rules.k8s.host_path

import data.kscan.lib.k8s
import data.kscan.lib.pss

# The verdict is Kubernetes' own Pod Security check (baseline:hostPathVolumes);
# one finding per workload, listing every hostPath volume: they are fixed
# together, in one pod spec.
deny contains finding if {
	some [w, failure] in pss.failures("baseline:hostPathVolumes")
	mounts := [sprintf("%q as volume %q", [object.get(v.hostPath, "path", ""), object.get(v, "name", "")]) |
		some v in k8s.list_of(w.pod_spec.volumes)
		is_object(v.hostPath)
	]
	finding := {
		"key": w.key,
		"message": sprintf("%s mounts %s %s (Pod Security Standards %s: %s)", [k8s.workload_label(w), noun(count(mounts)), concat(", ", mounts), pss.version, failure.message]),
		"discriminator": "hostPath",
	}
}

noun(1) := "hostPath"

noun(n) := sprintf("%d hostPath volumes:", [n]) if n > 1
