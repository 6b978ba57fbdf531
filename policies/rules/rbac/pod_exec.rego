# METADATA
# title: Bound role can exec or attach into pods
# description: |
#   create on pods/exec or pods/attach opens a shell in any container in scope,
#   with the container's ServiceAccount token, mounted Secrets and network
#   position. Only roles that some binding grants are reported.
# custom:
#   id: rbac/pod-exec
#   watch: ["k8s:rbac.authorization.k8s.io/Role", "k8s:rbac.authorization.k8s.io/RoleBinding", "k8s:rbac.authorization.k8s.io/ClusterRole", "k8s:rbac.authorization.k8s.io/ClusterRoleBinding", "k8s:core/ServiceAccount"]
#   severity: medium
#   identity: resource (for a built-in role, the binding and the role)
#   applies_to:
#     - "k8s:rbac.authorization.k8s.io/Role -builtin"
#     - "k8s:rbac.authorization.k8s.io/ClusterRole -builtin"
#     - "k8s:rbac.authorization.k8s.io/RoleBinding -builtin grants:builtin"
#     - "k8s:rbac.authorization.k8s.io/ClusterRoleBinding -builtin grants:builtin"
#   scope: stack
#   remediation: |
#     Remove create on pods/exec and pods/attach; grant it only for debugging,
#     time-limited, in one namespace.
#   frameworks:
#     cis: ["5.1.4"]
#     nsa: ["Authentication and authorization: Role-based access control"]
package kscan.rules.rbac.pod_exec

import data.kscan.lib.rbac

deny contains finding if {
	some role in rbac.roles
	results := rbac.checks_of(role, ["create pods/exec", "create pods/attach"])
	count(results) > 0
	subs := [trim_prefix(id, "create ") | some id in rbac.unrestricted(results)]
	count(subs) > 0
	what := sprintf("create on %s", [concat(" and ", subs)])
	some finding in rbac.bound_role_findings(role, what, "exec", "")
}

# Only into named pods (low).
deny contains finding if {
	some role in rbac.roles
	results := rbac.checks_of(role, ["create pods/exec", "create pods/attach"])
	count(results) > 0
	count(rbac.unrestricted(results)) == 0
	what := sprintf("create on %s of the pods named %s", [
		concat(" and ", sort([trim_prefix(id, "create ") | some id, _ in results])),
		concat(", ", rbac.named(results)),
	])
	some finding in rbac.bound_role_findings(role, what, "exec", "low")
}
