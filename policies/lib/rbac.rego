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

# A node that kscan made itself (a built-in ClusterRole referenced by a
# binding but declared by no input, a subject, a namespace): it has no file
# location, so findings about it are reported on something that has one.
derived(node) if node.source.kind == "derived"

# builtin(node): Kubernetes' own role or binding. Recognised in Go
# (rbac.MatchBootstrap) by name AND content against the bootstrap policy of
# the cluster's Kubernetes version, never by a name prefix, a namespace or a
# label anyone can set; or a default ClusterRole kscan derived because a
# binding references it and no input declares it. A bootstrap name with
# other content is not built in (rbac/modified-builtin reports it).
builtin(node) if derived(node)

builtin(node) if node.attrs.rbac.builtin == true

# check(role, id): what the role allows of one permission rules ask about
# ("get secrets", "create pods/exec", "*" for everything), computed in Go
# with the authorizer's rule matcher (the one who-can uses):
# {"all": true} for every object, else {"all": false, "names": [...]} when
# resourceNames limit it. Undefined when the role does not allow it.
check(role, id) := role.attrs.rbac.checks[id]

# everything(role): the role allows every verb on every resource of every
# API group (cluster-admin equivalent), whatever its name.
everything(role) if check(role, "*").all

# bound_anyhow(role): a binding grants the role, directly or through an
# aggregated ClusterRole that takes its rules.
bound_anyhow(role) if role.attrs.rbac.bound == true

# role_of(binding): the role node a binding grants (undefined when missing).
role_of(b) := input.nodes[k] if {
	some k in k8s.outgoing(b.key, "grants")
}

# granting_bindings(role): the binding nodes that grant a role.
granting_bindings(role) := [input.nodes[b] | some b in bindings_of(role.key)]

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

# binding_subject_labels(b): "User alice, Group dev" for one binding.
binding_subject_labels(b) := concat(", ", sort({subject_label(s) | some s in subjects_of(b.key)}))

role_ref(b) := sprintf("%s %q", [object.get(b.object, ["roleRef", "kind"], "role"), object.get(b.object, ["roleRef", "name"], "")])

# bound_role_findings(role, what, disc, sev): the findings of a bound-role
# rule for a role that allows `what`, at severity sev ("" for the rule's).
# A declared role gets one finding, naming the subjects and the bindings
# that grant it; a built-in role gets one finding per binding that grants it
# and is not itself built in (Kubernetes' own bindings of its own roles are
# no finding).
bound_role_findings(role, what, disc, sev) := {with_severity(f, sev) |
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
} | {with_severity(f, sev) |
	builtin(role)
	some b in granting_bindings(role)
	not builtin(b)
	f := {
		"key": b.key,
		"message": sprintf("%s grants the built-in %s, which allows %s, to %s", [k8s.node_label(b), k8s.node_label(role), what, or_nobody(binding_subject_labels(b))]),
		"discriminator": sprintf("%s/%s", [disc, role.id]),
		"related": [role.key],
	}
}

with_severity(f, "") := f

with_severity(f, sev) := object.union(f, {"severity": sev}) if sev != ""

# checks_of(role, ids): the checks of ids the role passes, as
# {id: result}.
checks_of(role, ids) := {id: c | some id in ids; c := check(role, id)}

# unrestricted(results): ids passed for every object.
unrestricted(results) := sort([id | some id, c in results; c.all])

# named(results): the names the remaining results are limited to.
named(results) := sort({n | some _, c in results; not c.all; some n in c.names})

# summary(items, n): "a, b, c" or "N <what>, e.g. a, b, c" when more than n.
summary(items, _, n) := concat(", ", items) if count(items) <= n

summary(items, what, n) := sprintf("%d %s, e.g. %s", [count(items), what, concat(", ", array.slice(items, 0, n))]) if count(items) > n

or_nobody("") := "no subject"

or_nobody(s) := s if s != ""
