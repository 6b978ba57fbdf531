# METADATA
# title: Internet-facing workload runs with an administrator IAM role
# description: |
#   A workload that the internet reaches, through a public LoadBalancer
#   Service (k8s/public-loadbalancer) or an Ingress, runs as a
#   ServiceAccount mapped (IRSA or EKS Pod Identity) to an IAM role that is
#   an administrator or can escalate to one. One remote code execution bug
#   in that workload is full control of the AWS account. The finding is
#   reported on the role and spells out the whole path.
# custom:
#   id: path/internet-to-cloud-admin
#   severity: critical
#   scope: stack
#   remediation: |
#     Break the path at its cheapest link: scope the role to what the workload
#     needs (best), run the exposed workload with a ServiceAccount that has no
#     IAM role, or stop exposing it publicly.
package kscan.rules.path.internet_to_cloud_admin

import data.kscan.lib.iam
import data.kscan.lib.k8s
import data.kscan.rules.k8s.public_loadbalancer

# The path is followed backwards, from the dangerous roles to the ways in:
# a scan without IAM data, or without dangerous roles, has nothing to follow.
deny contains finding if {
	some x in iam.dangerous_workload_roles
	w := x.w
	some s in k8s.incoming(w.key, "selects")
	some [entry, svc, prefix] in entries(s)
	path := sprintf("%s → %s → %s → IAM %s (%s, through %s) → %s", [
		prefix, k8s.workload_label(w), k8s.node_label(x.sa), iam.label(x.role), x.role.id,
		iam.how(x.sa.key, x.role.key), iam.policies_of(x.role),
	])
	finding := {
		"key": x.role.key,
		"message": sprintf("%s: the role %s", [path, iam.why(x.role)]),
		"discriminator": concat("|", [entry.id, w.id, x.sa.id]),
		"related": sort({entry.key, svc.key, w.key, x.sa.key}),
	}
}

# entries(svc_key): [entry node, Service node, path prefix] for each way in
# to a Service: the Service itself when it is a public load balancer, and
# every Ingress that routes to it.
entries(svc_key) := {[svc, svc, sprintf("Internet → public LoadBalancer %s", [k8s.node_label(svc)])] |
	svc := input.nodes[svc_key]
	svc.type == "k8s:core/Service"
	public_loadbalancer.public(svc)
} | {[ing, svc, sprintf("Internet → %s → %s", [k8s.node_label(ing), k8s.node_label(svc)])] |
	svc := input.nodes[svc_key]
	some i in k8s.incoming(svc_key, "routes-to")
	ing := input.nodes[i]
	ing.type == "k8s:networking.k8s.io/Ingress"
}
