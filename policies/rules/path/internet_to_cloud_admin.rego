# METADATA
# title: Internet-facing workload runs with an administrator IAM role
# description: |
#   A workload that the internet reaches (by kscan's exposure model: a
#   public LoadBalancer Service, an Ingress, a Gateway API or Istio Gateway
#   route; see docs/exposure.md) runs as a ServiceAccount mapped (IRSA or
#   EKS Pod Identity) to an IAM role that is an administrator or can
#   escalate to one. One remote code execution bug in that workload is full
#   control of the AWS account. The finding is reported on the workload, the
#   thing to fix, with the route and the role in the message and every
#   object of the path as a related location.
# custom:
#   id: path/internet-to-cloud-admin
#   watch: namespace
#   severity: critical
#   identity: resource + ServiceAccount and IAM role
#   frameworks:
#     cis-aws: ["1.16"]
#   scope: stack
#   remediation: |
#     Break the path at its cheapest link: scope the role to what the workload
#     needs (best), run the exposed workload with a ServiceAccount that has no
#     IAM role, or stop exposing it publicly.
package kscan.rules.path.internet_to_cloud_admin

import data.kscan.lib.iam
import data.kscan.lib.k8s

# The path is followed backwards, from the dangerous roles to the ways in:
# a scan without IAM data, or without dangerous roles, has nothing to follow.
# One finding per workload and role, naming every internet route to it.
deny contains finding if {
	some x in iam.dangerous_workload_roles
	w := x.w
	routes := [r | some r in object.get(input.facts, ["exposure", "workloads", w.key], []); r.internet]
	count(routes) > 0
	paths := sort({r.path | some r in routes})
	finding := {
		"key": w.key,
		"message": sprintf("%s runs as %s, which assumes IAM %s (%s, through %s): the role %s. Reached from the internet: %s", [
			k8s.workload_label(w), k8s.node_label(x.sa), iam.label(x.role), x.role.id,
			iam.how(x.sa.key, x.role.key), iam.why(x.role), concat("; ", paths),
		]),
		"discriminator": concat("|", [x.sa.id, x.role.id]),
		"related": sort({k | some k in {x.sa.key, x.role.key}} | {k | some r in routes; some k in array.concat([r.entry], r.via)}),
		"path": path_steps(routes, w, x),
	}
}

# path_steps: the first way in (by its description) to the role, in order,
# for reports that draw it: entry → … → workload → ServiceAccount → role.
path_steps(routes, w, x) := array.concat(
	[{"key": k, "edge": "routes-to"} | some k in array.concat([first.entry], first.via)],
	[{"key": w.key, "edge": "runs-as"}, {"key": x.sa.key, "edge": "assumes"}, {"key": x.role.key}],
) if {
	first := [r | some r in routes; r.path == min({r2.path | some r2 in routes})][0]
}
