# METADATA
# title: Bound role can read Secrets
# description: |
#   get, list or watch on secrets reveals every Secret in scope: ServiceAccount
#   tokens, TLS keys, database passwords, cloud credentials. list and watch
#   return the values too, not just the names. Only roles that some binding
#   grants are reported; the message names who holds them.
# custom:
#   id: rbac/secrets-read
#   severity: high
#   identity: resource (for a built-in role, the binding and the role)
#   scope: stack
#   remediation: |
#     Remove get/list/watch on secrets from the role, or narrow it with
#     resourceNames to the Secrets the subject needs; mount Secrets into pods
#     instead of reading them through the API.
#   frameworks:
#     cis: ["5.1.2"]
#     nsa: ["Authentication and authorization: Role-based access control"]
package kscan.rules.rbac.secrets_read

import data.kscan.lib.rbac

deny contains finding if {
	some role in rbac.roles
	verbs := [v | some v in ["get", "list", "watch"]; rbac.role_allows(role, v, "", "secrets")]
	count(verbs) > 0
	what := sprintf("%s on secrets", [concat("/", verbs)])
	some finding in rbac.bound_role_findings(role, what, "secrets")
}
