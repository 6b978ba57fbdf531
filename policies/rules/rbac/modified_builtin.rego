# METADATA
# title: Kubernetes' own role or binding was changed
# description: |
#   The API server creates its own RBAC policy (cluster-admin, admin, edit,
#   view, the system: roles of nodes and controllers, their bindings, and
#   Roles and RoleBindings in kube-system and kube-public). kscan knows that
#   policy for each supported Kubernetes version, and treats an object as
#   Kubernetes' own only when its name and its content (rules and
#   aggregationRule of a role, roleRef and subjects of a binding) are the
#   bootstrap ones. An object with a bootstrap name and other content was
#   changed after the cluster was created — permissions or subjects added
#   to a role everyone trusts are a classic way to hide a backdoor, and the
#   API server's reconciliation keeps additions. Additions are high; an
#   object that only lost permissions or subjects is low (it can break the
#   cluster, but grants nothing new). The version compared with is the
#   cluster's (live scans) or --kube-version (files).
# custom:
#   id: rbac/modified-builtin
#   watch: ["k8s:rbac.authorization.k8s.io/Role", "k8s:rbac.authorization.k8s.io/RoleBinding", "k8s:rbac.authorization.k8s.io/ClusterRole", "k8s:rbac.authorization.k8s.io/ClusterRoleBinding", "k8s:core/ServiceAccount"]
#   identity: resource
#   severity: high
#   remediation: |
#     Find out who changed the object and why (audit log). Restore the
#     bootstrap content — delete the object and restart the API server, or
#     remove the additions — and grant extra permissions through a role and
#     binding of your own instead.
#   frameworks:
#     nsa: ["Authentication and authorization: Role-based access control"]
package kscan.rules.rbac.modified_builtin

import data.kscan.lib.k8s
import data.kscan.lib.rbac

# Shown in the message; the finding's "added" and "removed" properties list
# everything.
max_listed := 3

deny contains finding if {
	some t in (rbac.role_types | rbac.binding_types)
	some node in k8s.nodes(t)
	m := node.attrs.rbac.modified_builtin
	finding := object.union(
		{
			"key": node.key,
			"message": message(node, m),
			"discriminator": "modified-builtin",
			"properties": {"added": m.added, "removed": m.removed},
		},
		severity(m),
	)
}

severity(m) := {} if count(m.added) > 0

severity(m) := {"severity": "low"} if count(m.added) == 0

message(node, m) := sprintf("%s is Kubernetes' own (%s) but was changed: added %s%s", [
	k8s.node_label(node), m.version,
	rbac.summary(m.added, "changes", max_listed), removed_note(m),
]) if count(m.added) > 0

message(node, m) := sprintf("%s is Kubernetes' own (%s) but was changed: removed %s", [
	k8s.node_label(node), m.version, rbac.summary(m.removed, "changes", max_listed),
]) if count(m.added) == 0

removed_note(m) := "" if count(m.removed) == 0

removed_note(m) := sprintf("; removed %d", [count(m.removed)]) if count(m.removed) > 0
