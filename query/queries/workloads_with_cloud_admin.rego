# METADATA
# title: Workloads that can act as a cloud administrator
# description: |
#   Workloads whose ServiceAccount may assume an AWS IAM role (IRSA
#   annotation admitted by the role's trust policy, or a Pod Identity
#   association) that allows * on *, or can raise its own privileges to it,
#   as iampolicy/ evaluates the role's policies. Needs IAM data (an IAM
#   export file or --aws); without it the answer is empty.
# custom:
#   name: workloads-with-cloud-admin
#   columns: [workload, service_account, role, why]
#   limits: needs IAM data (an IAM export among the inputs, or --aws)
package kscan.queries.workloads_with_cloud_admin

import data.kscan.lib.iam

result contains row if {
	some x in iam.dangerous_workload_roles
	row := {
		"workload": x.w.id,
		"service_account": x.sa.id,
		"role": x.role.id,
		"why": iam.why(x.role),
	}
}
