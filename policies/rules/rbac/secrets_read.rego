# METADATA
# title: Bound role can read Secrets
# description: |
#   get, list or watch on secrets reveals every Secret in scope: ServiceAccount
#   tokens, TLS keys, database passwords, cloud credentials. list and watch
#   return the values too, not just the names. Only roles that some binding
#   grants are reported; the message names who holds them.
# custom:
#   id: rbac/secrets-read
#   watch: ["k8s:rbac.authorization.k8s.io/Role", "k8s:rbac.authorization.k8s.io/RoleBinding", "k8s:rbac.authorization.k8s.io/ClusterRole", "k8s:rbac.authorization.k8s.io/ClusterRoleBinding", "k8s:core/ServiceAccount"]
#   severity: high
#   identity: resource (for a built-in role, the binding and the role)
#   applies_to:
#     - "k8s:rbac.authorization.k8s.io/Role -builtin"
#     - "k8s:rbac.authorization.k8s.io/ClusterRole -builtin"
#     - "k8s:rbac.authorization.k8s.io/RoleBinding -builtin grants:builtin"
#     - "k8s:rbac.authorization.k8s.io/ClusterRoleBinding -builtin grants:builtin"
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

verbs := ["get", "list", "watch"]

# The permission ids rbac.check takes, spelled out once instead of a sprintf
# per verb and role.
ids := {"get": "get secrets", "list": "list secrets", "watch": "watch secrets"}

# Permissions come from Go (rbac.CheckRole: the authorizer's matcher, the
# one who-can uses), so resourceNames, wildcards and aggregation count as
# the API server counts them.
deny contains finding if {
	some role in rbac.roles
	results := {v: c | some v in verbs; c := rbac.check(role, ids[v])}
	count(results) > 0
	all := [v | some v in verbs; results[v].all]
	count(all) > 0
	what := sprintf("%s on secrets", [concat("/", all)])
	some finding in rbac.bound_role_findings(role, what, "secrets", "")
}

# Only named Secrets: the subject can read those and no other (low).
deny contains finding if {
	some role in rbac.roles
	results := {v: c | some v in verbs; c := rbac.check(role, ids[v])}
	count(results) > 0
	not any_all(results)
	names := rbac.named(results)
	what := sprintf("reading %s %s (%s)", [plural(names), concat(", ", names), concat("/", sort([v | some v, _ in results]))])
	some finding in rbac.bound_role_findings(role, what, "secrets", "low")
}

any_all(results) if {
	some _, c in results
	c.all
}

plural(names) := "Secret" if count(names) == 1

plural(names) := "Secrets" if count(names) > 1
