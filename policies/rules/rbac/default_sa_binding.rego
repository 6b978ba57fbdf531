# METADATA
# title: Binding grants a role to a default ServiceAccount
# description: |
#   Every pod of a namespace that does not name a ServiceAccount runs as the
#   namespace's default one. Granting it a role grants that role to all of
#   those pods, including ones added later by anyone who can create pods there.
# custom:
#   id: rbac/default-sa-binding
#   watch: ["k8s:rbac.authorization.k8s.io/Role", "k8s:rbac.authorization.k8s.io/RoleBinding", "k8s:rbac.authorization.k8s.io/ClusterRole", "k8s:rbac.authorization.k8s.io/ClusterRoleBinding", "k8s:core/ServiceAccount"]
#   severity: medium
#   identity: resource + subject
#   applies_to:
#     - "k8s:rbac.authorization.k8s.io/RoleBinding -builtin"
#     - "k8s:rbac.authorization.k8s.io/ClusterRoleBinding -builtin"
#   remediation: |
#     Create a dedicated ServiceAccount for the workload that needs the
#     permissions, bind the role to it, and set serviceAccountName in its pods.
#   frameworks:
#     cis: ["5.1.5"]
#     nsa: ["Authentication and authorization: Role-based access control"]
package kscan.rules.rbac.default_sa_binding

import data.kscan.lib.k8s
import data.kscan.lib.rbac

deny contains finding if {
	some b in rbac.bindings
	not rbac.builtin(b)
	some s in rbac.binding_subjects(b)
	s.kind == "ServiceAccount"
	s.name == "default"
	label := rbac.subject_label(s)
	finding := {
		"key": b.key,
		"message": sprintf("%s grants %s to %s", [k8s.node_label(b), rbac.role_ref(b), label]),
		"discriminator": label,
	}
}
