# METADATA
# title: Roles no binding grants
# description: |
#   Roles and ClusterRoles that no RoleBinding or ClusterRoleBinding grants,
#   directly or through an aggregated ClusterRole that takes their rules.
#   Kubernetes' own roles are recognised by name and content against the
#   bootstrap policy of the cluster's version (graph/builtin.go), never by a
#   name alone, and are left out: a look-alike with other content is listed.
#   Bindings outside the inputs are not seen; aggregates_into names the
#   aggregate-to-* labels of a role whose rules a ClusterRole outside the
#   inputs (admin, edit, view of a real cluster) may take.
# custom:
#   name: unbound-roles
#   watch: ["k8s:rbac.authorization.k8s.io/Role", "k8s:rbac.authorization.k8s.io/RoleBinding", "k8s:rbac.authorization.k8s.io/ClusterRole", "k8s:rbac.authorization.k8s.io/ClusterRoleBinding"]
#   columns: [role, rules, aggregates_into, source]
#   limits: only bindings among the inputs count
package kscan.queries.unbound_roles

import data.kscan.lib.rbac

result contains row if {
	some role in rbac.roles
	not rbac.derived(role)
	not rbac.builtin(role)
	not rbac.bound_anyhow(role)
	row := {
		"role": role.id,
		"rules": count(rbac.rules_of(role)),
		"aggregates_into": sort({trim_prefix(l, "rbac.authorization.k8s.io/aggregate-to-") |
			some l, v in object.get(role.object, ["metadata", "labels"], {})
			startswith(l, "rbac.authorization.k8s.io/aggregate-to-")
			v == "true"
		}),
		"source": location(role.source),
	}
}

location(s) := sprintf("%s:%d", [s.file, s.line]) if {
	s.file
	s.line
} else := object.get(s, "file", object.get(s, "path", s.kind))
