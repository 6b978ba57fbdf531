# METADATA
# title: Subject bound to cluster-admin
# description: |
#   cluster-admin allows every action on every resource. Through a
#   ClusterRoleBinding it is full control of the cluster; even through a
#   RoleBinding it is full control of the namespace, including its Secrets
#   and RBAC. Any role that allows every verb on every resource counts,
#   whatever its name. Kubernetes' own bindings (recognised by name and
#   content, such as cluster-admin to system:masters) are not reported;
#   any other subject is, in kube-system too.
# custom:
#   id: rbac/cluster-admin-binding
#   watch: ["k8s:rbac.authorization.k8s.io/Role", "k8s:rbac.authorization.k8s.io/RoleBinding", "k8s:rbac.authorization.k8s.io/ClusterRole", "k8s:rbac.authorization.k8s.io/ClusterRoleBinding", "k8s:core/ServiceAccount"]
#   severity: high
#   identity: resource + subject
#   applies_to:
#     - "k8s:rbac.authorization.k8s.io/RoleBinding -builtin"
#     - "k8s:rbac.authorization.k8s.io/ClusterRoleBinding -builtin"
#   remediation: |
#     Bind a role with only the permissions the subject needs (admin or edit
#     in a namespace, or a custom role); keep cluster-admin for break-glass
#     access through a group.
#   frameworks:
#     cis: ["5.1.1"]
#     nsa: ["Authentication and authorization: Role-based access control"]
package kscan.rules.rbac.cluster_admin_binding

import data.kscan.lib.k8s
import data.kscan.lib.rbac

deny contains finding if {
	some b in rbac.bindings
	not rbac.builtin(b)
	role := rbac.role_of(b)
	rbac.everything(role)
	some s in rbac.binding_subjects(b)
	label := rbac.subject_label(s)
	finding := {
		"key": b.key,
		"message": message(b, role, label),
		"discriminator": label,
		"related": [role.key],
	}
}

scope(b) := "the cluster" if b.object.kind == "ClusterRoleBinding"

scope(b) := sprintf("namespace %s", [b.namespace]) if b.object.kind == "RoleBinding"

message(b, role, label) := sprintf("%s binds %s to the cluster-admin ClusterRole: full control of %s", [k8s.node_label(b), label, scope(b)]) if {
	builtin_cluster_admin(role)
}

message(b, role, label) := sprintf("%s binds %s to %s, which allows every verb on every resource (cluster-admin equivalent): full control of %s", [k8s.node_label(b), label, k8s.node_label(role), scope(b)]) if {
	not builtin_cluster_admin(role)
}

builtin_cluster_admin(role) if {
	role.object.kind == "ClusterRole"
	role.name == "cluster-admin"
	rbac.builtin(role)
}
