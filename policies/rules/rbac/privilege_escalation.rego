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
#     Remove these permissions from the role; if an operator really needs to
#     manage RBAC, restrict it with resourceNames and bind it in one namespace only.
#   frameworks:
#     cis: ["5.1.8", "5.1.13"]
#     nsa: ["Authentication and authorization: Role-based access control"]
package kscan.rules.rbac.privilege_escalation

import data.kscan.lib.rbac

rbac_group := "rbac.authorization.k8s.io"

# The checks (ids of rbac.Checks, answered in Go) that let a subject raise
# its own privileges.
escalating := array.concat(
	[
		"escalate roles.rbac.authorization.k8s.io",
		"escalate clusterroles.rbac.authorization.k8s.io",
		"bind roles.rbac.authorization.k8s.io",
		"bind clusterroles.rbac.authorization.k8s.io",
		"impersonate users",
		"impersonate groups",
		"impersonate serviceaccounts",
		"impersonate userextras/scopes.authentication.k8s.io",
		"impersonate uids.authentication.k8s.io",
		"create serviceaccounts/token",
	],
	[sprintf("%s %s.%s", [verb, res, rbac_group]) |
		some verb in ["create", "update", "patch"]
		some res in ["roles", "clusterroles", "rolebindings", "clusterrolebindings"]
	],
)

# Messages name at most this many paths; the finding's "escalations"
# property lists them all.
max_listed := 3

# "bind clusterroles.rbac.authorization.k8s.io" -> "bind clusterroles".
short(id) := trim_suffix(trim_suffix(id, ".rbac.authorization.k8s.io"), ".authentication.k8s.io")

label(id, c) := short(id) if c.all

label(id, c) := sprintf("%s named %s", [short(id), concat("/", c.names)]) if not c.all

deny contains finding if {
	some role in rbac.roles
	results := rbac.checks_of(role, escalating)
	count(results) > 0
	paths := sort([label(id, c) | some id, c in results])
	sev := severity(results)
	what := rbac.summary(paths, "escalation paths", max_listed)
	some f in rbac.bound_role_findings(role, what, "escalation", sev)
	finding := object.union(f, {"properties": {"escalations": paths}})
}

# Limited to named roles, bindings or accounts: still a way up, but only
# through those objects.
severity(results) := "" if count(rbac.unrestricted(results)) > 0

severity(results) := "medium" if count(rbac.unrestricted(results)) == 0
