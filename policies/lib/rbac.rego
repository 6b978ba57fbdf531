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

# rules_of(role): the role's effective rules. For an aggregated ClusterRole
# these are the rules of every role its aggregationRule selects, as resolved
# in Go (rbac.Enrich); otherwise the role's own rules.
rules_of(role) := object.get(role, ["attrs", "rbac", "rules"], object.get(role.object, "rules", []))

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

# A node that kscan made itself (a built-in ClusterRole referenced by a
# binding but declared by no input, a subject, a namespace): it has no file
# location, so findings about it are reported on something that has one.
derived(node) if node.source.kind == "derived"

# builtin(role): a Kubernetes default role, whether kscan derived it from its
# shipped definitions (file scans) or read it from a live cluster (which has
# the bootstrap roles as objects labelled rbac-defaults). Findings about
# granting a built-in role go on the binding either way, so a file scan and a
# live scan report the same resource.
builtin(role) if derived(role)

builtin(role) if role.object.metadata.labels["kubernetes.io/bootstrapping"] == "rbac-defaults"

# A Kubernetes default role: bootstrap label, or the system: name prefix.
system_role(role) if role.object.metadata.labels["kubernetes.io/bootstrapping"] == "rbac-defaults"

system_role(role) if startswith(role.name, "system:")

# granting_bindings(role): the binding nodes that grant a role.
granting_bindings(role) := [input.nodes[b] | some b in bindings_of(role.key)]

# allows(rule, verb, group, resource): a PolicyRule allows verb on
# group/resource. "*" matches any verb, group or resource; "pods/*" matches
# every subresource of pods and "*/exec" every exec subresource.
allows(rule, verb, group, resource) if {
	matches(k8s.list_of(rule.verbs), verb)
	matches(k8s.list_of(rule.apiGroups), group)
	some r in k8s.list_of(rule.resources)
	resource_matches(r, resource)
}

resource_matches(r, r)

resource_matches("*", _)

resource_matches(r, resource) if {
	is_string(r)
	startswith(r, "*/")
	parts := split(resource, "/")
	count(parts) == 2
	r == concat("/", ["*", parts[1]])
}

# role_allows(role, verb, group, resource): some rule of the role allows it.
role_allows(role, verb, group, resource) if {
	some rule in k8s.list_of(rules_of(role))
	allows(rule, verb, group, resource)
}

# Subjects of one binding, from the object itself (kind, name, namespace
# defaulted to the binding's for ServiceAccounts in a RoleBinding).
binding_subjects(b) := [s |
	some raw in k8s.list_of(b.object.subjects)
	is_object(raw)
	is_string(raw.name)
	s := {
		"kind": object.get(raw, "kind", ""),
		"name": raw.name,
		"namespace": subject_namespace(b, raw),
	}
]

subject_namespace(b, raw) := raw.namespace if {
	raw.kind == "ServiceAccount"
	is_string(raw.namespace)
	raw.namespace != ""
} else := b.namespace if {
	raw.kind == "ServiceAccount"
} else := ""

# A subject that belongs to Kubernetes itself: a system: name, or a
# ServiceAccount of kube-system.
system_subject(s) if startswith(s.name, "system:")

system_subject(s) if {
	s.kind == "ServiceAccount"
	s.namespace == "kube-system"
}

# binding_subject_labels(b): "User alice, Group dev" for one binding.
binding_subject_labels(b) := concat(", ", sort({subject_label(s) | some s in subjects_of(b.key)}))

role_ref(b) := sprintf("%s %q", [object.get(b.object, ["roleRef", "kind"], "role"), object.get(b.object, ["roleRef", "name"], "")])

# bound_role_findings(role, what, disc): the findings of a bound-role rule
# for a role that allows `what`. A declared role gets one finding, naming the
# subjects and the bindings that grant it; a built-in role that kscan derived
# (no file to point at) gets one finding per binding that grants it.
bound_role_findings(role, what, disc) := {f |
	not builtin(role)
	bks := bindings_of(role.key)
	count(bks) > 0
	bindings := concat(", ", sort({input.nodes[b].id | some b in bks}))
	subjects := concat(", ", subject_labels(role))
	f := {
		"key": role.key,
		"message": sprintf("%s allows %s; it is bound to %s by %s", [k8s.node_label(role), what, or_nobody(subjects), bindings]),
		"discriminator": disc,
		"related": sort(bks),
	}
} | {f |
	builtin(role)
	some b in granting_bindings(role)
	f := {
		"key": b.key,
		"message": sprintf("%s grants the built-in %s, which allows %s, to %s", [k8s.node_label(b), k8s.node_label(role), what, or_nobody(binding_subject_labels(b))]),
		"discriminator": sprintf("%s/%s", [disc, role.id]),
		"related": [role.key],
	}
}

or_nobody("") := "no subject"

or_nobody(s) := s if s != ""
