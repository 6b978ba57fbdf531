# METADATA
# title: Volume type outside the restricted list
# description: |
#   Pod Security restricted allows only configMap, csi, downwardAPI, emptyDir,
#   ephemeral, image, persistentVolumeClaim, projected and secret volumes;
#   hostPath, nfs, iscsi and the other in-tree types are refused. The verdict
#   is Kubernetes' own Pod Security check (k8s.io/pod-security-admission) at
#   --pss-version; the message is the reason the API server gives.
# custom:
#   id: k8s/pss-volume-types
#   watch: namespace
#   identity: resource
#   applies_to:
#     - "workloads"
#   severity: low
#   remediation: |
#     Use a PersistentVolumeClaim (or a CSI volume) instead of the in-tree
#     volume type.
#   frameworks:
#     nsa: ["Kubernetes Pod security: Pod security enforcement"]
#     pss: ["restricted:volumeTypes"]
package kscan.rules.k8s.pss_volume_types

import data.kscan.lib.pss

deny contains finding if {
	some [w, failure] in pss.failures("restricted:volumeTypes")
	finding := {"key": w.key, "message": pss.message(w, failure)}
}
