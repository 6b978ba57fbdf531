# METADATA
# title: Workload runs with an administrator IAM role
# description: |
#   The workload's ServiceAccount maps to an IAM role, through an IRSA
#   annotation the role's trust policy admits or an EKS Pod Identity
#   association, and that role is an administrator (iam/admin-policy) or can
#   escalate to one (iam/privilege-escalation). Code execution in any of the
#   workload's containers is then control of the AWS account.
# custom:
#   id: iam/workload-admin-role
#   watch: namespace
#   severity: critical
#   identity: resource + IAM role
#   frameworks:
#     cis-aws: ["1.16"]
#   scope: stack
#   remediation: |
#     Give the workload its own ServiceAccount and an IAM role with only the
#     actions and resources it uses; move administrative automation out of
#     the cluster or behind a separate, tightly scoped role.
package kscan.rules.iam.workload_admin_role

import data.kscan.lib.iam
import data.kscan.lib.k8s

deny contains finding if {
	some x in iam.dangerous_workload_roles
	w := x.w
	finding := {
		"key": w.key,
		"message": sprintf("%s runs as %s, which assumes IAM %s (%s) through %s; the role %s", [
			k8s.workload_label(w), k8s.node_label(x.sa), iam.label(x.role), x.role.id,
			iam.how(x.sa.key, x.role.key), iam.why(x.role),
		]),
		"discriminator": x.role.id,
		"related": [x.sa.key, x.role.key],
	}
}
