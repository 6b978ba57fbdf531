# METADATA
# title: RBAC drift from the declared or earlier state
# description: |
#   What a subject may do differs from the reference state: a desired-state
#   directory (--desired), the Kubernetes RBAC resources of Pulumi state, or
#   an earlier snapshot (--baseline). Effective permissions are compared, not
#   object text: renaming a role changes nothing, while a verb added to a
#   ClusterRole that an aggregated role selects is drift for everyone bound
#   to the aggregated role. Added privilege is high; removed privilege is
#   low. Each finding names the subject, the grants and the binding and role
#   responsible. The API server's own default bindings are compared only
#   against a snapshot.
# custom:
#   id: rbac/drift
#   watch: ["k8s:rbac.authorization.k8s.io/Role", "k8s:rbac.authorization.k8s.io/RoleBinding", "k8s:rbac.authorization.k8s.io/ClusterRole", "k8s:rbac.authorization.k8s.io/ClusterRoleBinding", "k8s:core/ServiceAccount"]
#   severity: high
#   identity: resource + reference, cluster, subject, change, role and origin
#   remediation: |
#     If the change is intended, add it to the desired state (or take a new
#     snapshot); otherwise remove the binding or rule that grants it, or
#     restore the one that was removed.
#   frameworks:
#     nsa: ["Authentication and authorization: Role-based access control"]
#     cis: ["5.1.1"]
#   scope: cluster
package kscan.rules.rbac.drift

# Drift is computed in Go (package rbac, Enrich) on effective permissions;
# this rule only words the findings.

max_listed := 12

deny contains finding if {
	some d in input.facts.rbac.drift
	d.key != ""
	finding := {
		"key": d.key,
		"severity": d.severity,
		"message": message(d),
		"discriminator": concat("|", [d.reference, d.cluster, d.subject_label, d.change, d.role, d.from]),
	}
}

verb_phrase("added") := "gained"

verb_phrase("removed") := "lost"

reference_label("desired") := "the desired state"

reference_label("baseline") := "the baseline snapshot"

reference_label("pulumi") := "Pulumi state"

via(d) := sprintf("%s -> %s (aggregated from ClusterRole %s)", [d.binding, d.role, d.from]) if d.from != ""

via(d) := sprintf("%s -> %s", [d.binding, d.role]) if d.from == ""

grant_list(gs) := concat(", ", gs) if count(gs) <= max_listed

grant_list(gs) := sprintf("%s and %d more", [concat(", ", array.slice(gs, 0, max_listed)), count(gs) - max_listed]) if count(gs) > max_listed

message(d) := sprintf("%s%s %s compared with %s: %s; through %s", [
	cluster_prefix(d.cluster), d.subject_label, verb_phrase(d.change),
	reference_label(d.reference), grant_list(d.grants), via(d),
])

cluster_prefix("") := ""

cluster_prefix(c) := sprintf("[%s] ", [c]) if c != ""
