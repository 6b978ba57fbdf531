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
#   identity: resource (for a built-in role, the binding and the role)
#   scope: stack
#   remediation: |
#     Remove these permissions from the role; if an operator really needs to
#     manage RBAC, restrict it with resourceNames and bind it in one namespace only.
#   frameworks:
#     cis: ["5.1.8", "5.1.13"]
#     nsa: ["Authentication and authorization: Role-based access control"]
package kscan.rules.rbac.privilege_escalation

import data.kscan.lib.k8s
import data.kscan.lib.rbac

rbac_group := "rbac.authorization.k8s.io"

# Each entry: [verb, group, resource].
escalating := array.concat(
	[
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
	],
	[[verb, rbac_group, res] |
		some verb in ["create", "update", "patch"]
		some res in ["roles", "clusterroles", "rolebindings", "clusterrolebindings"]
	],
)

# Only a rule with an escalating verb and an escalating resource (or a
# wildcard) can grant any of the above; most roles have none and are
# dismissed without the full check.
escalating_verbs := {e[0] | some e in escalating} | {"*"}

escalating_resources := {e[2] | some e in escalating} | {"*"}

may_escalate(role) if {
	some rule in k8s.list_of(rbac.rules_of(role))
	some v in k8s.list_of(rule.verbs)
	v in escalating_verbs
	some r in k8s.list_of(rule.resources)
	escalating_resource(r)
}

escalating_resource(r) if r in escalating_resources

escalating_resource(r) if {
	is_string(r)
	startswith(r, "*/")
}

deny contains finding if {
	some role in rbac.roles
	may_escalate(role)
	granted := {sprintf("%s %s", [e[0], e[2]]) |
		some e in escalating
		rbac.role_allows(role, e[0], e[1], e[2])
	}
	count(granted) > 0
	some finding in rbac.bound_role_findings(role, concat(", ", sort(granted)), "escalation")
}
