# Helpers for RBAC rules: which roles are bound, by which bindings, to which
# subjects. Edges are computed in Go (binding -grants-> role, binding -binds->
# subject).
package kscan.lib.rbac

import data.kscan.lib.k8s

role_types := {"k8s:rbac.authorization.k8s.io/Role", "k8s:rbac.authorization.k8s.io/ClusterRole"}

binding_types := {"k8s:rbac.authorization.k8s.io/RoleBinding", "k8s:rbac.authorization.k8s.io/ClusterRoleBinding"}

roles contains r if {
	some t in role_types
	some r in k8s.nodes(t)
}

bindings contains b if {
	some t in binding_types
	some b in k8s.nodes(t)
}

# bindings_of(role_key): keys of the bindings that grant a role.
bindings_of(role_key) := k8s.incoming(role_key, "grants")

# subjects_of(binding_key): the subject nodes a binding binds.
subjects_of(binding_key) := [input.nodes[s] | some s in k8s.outgoing(binding_key, "binds")]

# A role is bound when at least one binding grants it.
bound(role) if count(bindings_of(role.key)) > 0

# rules_of(role): the role's rules (aggregated ClusterRoles included once the
# RBAC resolver fills them in).
rules_of(role) := object.get(role.object, "rules", [])

# Subject names for messages: "User alice", "ServiceAccount shop/web".
subject_label(s) := sprintf("%s %s/%s", [s.kind, s.namespace, s.name]) if s.namespace != ""

subject_label(s) := sprintf("%s %s", [s.kind, s.name]) if s.namespace == ""

subject_labels(role) := sort({subject_label(s) |
	some b in bindings_of(role.key)
	some s in subjects_of(b)
})

# grants(rule, verb, group, resource): a role rule allows verb on
# group/resource, honouring "*".
matches(list, x) if x in list

matches(list, _) if "*" in list

grants(rule, verb, resource) if {
	matches(object.get(rule, "verbs", []), verb)
	matches(object.get(rule, "resources", []), resource)
}
