# METADATA
# title: Binding grants a role to anonymous users
# description: |
#   system:anonymous (User) and system:unauthenticated (Group) are every
#   request that carries no credentials. A binding to them hands its role to
#   anyone who can reach the API server.
# custom:
#   id: rbac/anonymous-access
#   watch: ["k8s:rbac.authorization.k8s.io/Role", "k8s:rbac.authorization.k8s.io/RoleBinding", "k8s:rbac.authorization.k8s.io/ClusterRole", "k8s:rbac.authorization.k8s.io/ClusterRoleBinding", "k8s:core/ServiceAccount"]
#   severity: critical
#   identity: resource + subject
#   applies_to:
#     - "k8s:rbac.authorization.k8s.io/RoleBinding -builtin"
#     - "k8s:rbac.authorization.k8s.io/ClusterRoleBinding -builtin"
#   remediation: |
#     Delete the binding or remove the anonymous subject; run the API server
#     with --anonymous-auth=false where the health endpoints allow it.
#   frameworks:
#     nsa: ["Authentication and authorization: Authentication"]
package kscan.rules.rbac.anonymous_access

import data.kscan.lib.k8s
import data.kscan.lib.rbac

anonymous(s) if {
	s.kind == "User"
	s.name == "system:anonymous"
}

anonymous(s) if {
	s.kind == "Group"
	s.name == "system:unauthenticated"
}

deny contains finding if {
	some b in rbac.bindings
	not rbac.builtin(b)
	some s in rbac.binding_subjects(b)
	anonymous(s)
	label := rbac.subject_label(s)
	finding := {
		"key": b.key,
		"message": sprintf("%s grants %s to %s", [k8s.node_label(b), rbac.role_ref(b), label]),
		"discriminator": label,
	}
}
