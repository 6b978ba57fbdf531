# METADATA
# title: Container root filesystem is writable
# description: |
#   A writable root filesystem lets an intruder drop tools, change binaries and
#   persist across process restarts inside the container. Mounting it
#   read-only, with emptyDir volumes for the paths that must be written, makes
#   the container immutable.
# custom:
#   id: k8s/writable-root-fs
#   watch: namespace
#   severity: low
#   identity: resource + container
#   applies_to:
#     - "workloads"
#   remediation: |
#     Set securityContext.readOnlyRootFilesystem: true and mount emptyDir
#     volumes on the directories the application writes (/tmp, caches).
#   frameworks:
#     cis: ["5.7.3"]
#     nsa: ["Kubernetes Pod security: Immutable container file systems"]
package kscan.rules.k8s.writable_root_fs

import data.kscan.lib.k8s

deny contains finding if {
	some w in k8s.workloads
	some c in w.containers
	not c.securityContext.readOnlyRootFilesystem == true
	finding := {
		"key": w.key,
		"message": sprintf("%s does not set readOnlyRootFilesystem: true", [k8s.container_label(c)]),
		"discriminator": c.name,
	}
}
