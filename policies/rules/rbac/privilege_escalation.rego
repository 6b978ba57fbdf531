# METADATA
# title: Bound role can escalate privileges
# description: |
#   Some permissions are worth all the others: escalate and bind let a subject
#   grant itself permissions it does not have, impersonate lets it act as any
#   user, group or ServiceAccount, write access to roles and bindings lets it
#   rewrite RBAC, and create on serviceaccounts/token mints tokens for any
#   ServiceAccount. Only roles that some binding grants are reported.
# custom:
#   id: rbac/privilege-escalation
#   severity: high
#   scope: stack
#   remediation: |
#     Remove these permissions from the role; if an operator really needs to
#     manage RBAC, restrict it with resourceNames and bind it in one namespace only.
#   frameworks:
#     cis: ["5.1.8", "5.1.13"]
#     nsa: ["Authentication and authorization: Role-based access control"]
package kscan.rules.rbac.privilege_escalation

import data.kscan.lib.rbac

rbac_group := "rbac.authorization.k8s.io"

# Each entry: [verb, group, resource].
escalating := array.concat([
	["escalate", rbac_group, "roles"],
	["escalate", rbac_group, "clusterroles"],
	["bind", rbac_group, "roles"],
	["bind", rbac_group, "clusterroles"],
	["impersonate", "", "users"],
	["impersonate", "", "groups"],
	["impersonate", "", "serviceaccounts"],
	["impersonate", "authentication.k8s.io", "userextras/scopes"],
	["impersonate", "authentication.k8s.io", "uids"],
	["create", "", "serviceaccounts/token"],
], [[verb, rbac_group, res] |
	some verb in ["create", "update", "patch"]
	some res in ["roles", "clusterroles", "rolebindings", "clusterrolebindings"]
])

deny contains finding if {
	some role in rbac.roles
	granted := {sprintf("%s %s", [e[0], e[2]]) |
		some e in escalating
		rbac.role_allows(role, e[0], e[1], e[2])
	}
	count(granted) > 0
	some finding in rbac.bound_role_findings(role, concat(", ", sort(granted)), "escalation")
}
