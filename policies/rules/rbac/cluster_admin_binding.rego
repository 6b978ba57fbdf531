# METADATA
# title: Subject bound to cluster-admin
# description: |
#   cluster-admin allows every action on every resource. Through a
#   ClusterRoleBinding it is full control of the cluster; even through a
#   RoleBinding it is full control of the namespace, including its Secrets
#   and RBAC. Kubernetes' own system: subjects (and kube-system
#   ServiceAccounts) are not reported.
# custom:
#   id: rbac/cluster-admin-binding
#   severity: high
#   identity: resource + subject
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
	b.object.roleRef.kind == "ClusterRole"
	b.object.roleRef.name == "cluster-admin"
	some s in rbac.binding_subjects(b)
	not rbac.system_subject(s)
	label := rbac.subject_label(s)
	finding := {
		"key": b.key,
		"message": sprintf("%s binds %s to the cluster-admin ClusterRole", [k8s.node_label(b), label]),
		"discriminator": label,
	}
}
