# METADATA
# title: Probe or lifecycle handler targets another host
# description: |
#   From v1.34 Pod Security baseline forbids probes and lifecycle handlers
#   with an httpGet or tcpSocket host field: the kubelet would send requests
#   to that address on the pod's behalf. The verdict is Kubernetes' own Pod
#   Security check (k8s.io/pod-security-admission) at --pss-version; the
#   message is the reason the API server gives.
# custom:
#   id: k8s/pss-host-probes
#   watch: namespace
#   identity: resource
#   applies_to:
#     - "workloads"
#   severity: medium
#   remediation: |
#     Remove host from httpGet and tcpSocket probes and lifecycle handlers;
#     the pod's own IP is used.
#   frameworks:
#     nsa: ["Kubernetes Pod security: Pod security enforcement"]
#     pss: ["baseline:hostProbes"]
package kscan.rules.k8s.pss_host_probes

import data.kscan.lib.pss

deny contains finding if {
	some [w, failure] in pss.failures("baseline:hostProbes")
	finding := {"key": w.key, "message": pss.message(w, failure)}
}
