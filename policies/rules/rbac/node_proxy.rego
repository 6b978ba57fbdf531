# METADATA
# title: Bound role can use the nodes/proxy subresource
# description: |
#   nodes/proxy reaches the kubelet API of every node through the API server:
#   it can run commands in any pod on the node (bypassing pods/exec, and its
#   audit trail), read logs and pod specs. Any verb is enough. Only roles that
#   some binding grants are reported.
# custom:
#   id: rbac/node-proxy
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
#     Remove nodes/proxy from the role; monitoring agents can read metrics
#     from nodes/metrics or the metrics API instead.
#   frameworks:
#     cis: ["5.1.10"]
#     nsa: ["Authentication and authorization: Role-based access control"]
package kscan.rules.rbac.node_proxy

import data.kscan.lib.rbac

node_proxy_verbs := ["get", "list", "watch", "create", "update", "patch", "delete", "deletecollection"]

deny contains finding if {
	some role in rbac.roles
	results := rbac.checks_of(role, [sprintf("%s nodes/proxy", [v]) | some v in node_proxy_verbs])
	count(results) > 0
	verbs := [v | some v in node_proxy_verbs; results[sprintf("%s nodes/proxy", [v])]]
	what := sprintf("%s on nodes/proxy%s", [concat("/", verbs), only_named(results)])
	some finding in rbac.bound_role_findings(role, what, "nodes/proxy", "")
}

# Even one node's kubelet API is every pod on it: names do not lower it.
only_named(results) := "" if count(rbac.unrestricted(results)) > 0

only_named(results) := sprintf(" of the nodes named %s", [concat(", ", rbac.named(results))]) if count(rbac.unrestricted(results)) == 0
