# METADATA
# title: Pod runs as the default ServiceAccount
# description: |
#   Every pod of a namespace that does not name a ServiceAccount shares the
#   namespace's default one, so any permission granted to it is granted to all
#   of them, and their API calls cannot be told apart in audit logs.
# custom:
#   id: k8s/default-service-account
#   watch: namespace
#   severity: low
#   identity: resource
#   applies_to:
#     - "workloads"
#   remediation: |
#     Create a ServiceAccount per application, set spec.serviceAccountName, and
#     grant RBAC to that account only.
#   frameworks:
#     cis: ["5.1.5"]
#     nsa: ["Authentication and authorization: Role-based access control"]
package kscan.rules.k8s.default_service_account

import data.kscan.lib.k8s

deny contains finding if {
	some w in k8s.workloads
	w.service_account == "default"
	finding := {
		"key": w.key,
		"message": sprintf("%s runs as the default ServiceAccount of namespace %q", [k8s.workload_label(w), w.namespace]),
		"discriminator": "default",
	}
}
