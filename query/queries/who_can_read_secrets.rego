# METADATA
# title: Who can read Secrets
# description: |
#   Every subject (User, Group, ServiceAccount) that a binding allows to
#   get, list or watch Secrets, with the binding, the role (aggregation
#   resolved), the namespace it holds in ("*": every namespace, a
#   ClusterRoleBinding) and the Secrets it is limited to by resourceNames
#   ("all" when not limited). With namespace=payments, only what reaches
#   Secrets in payments (its RoleBindings and every ClusterRoleBinding).
#   Groups are listed as subjects: system:authenticated means everyone who
#   can log in. kscan who-can get secrets answers with the API server's own
#   authorizer.
# custom:
#   name: who-can-read-secrets
#   columns: [subject, verbs, namespace, secrets, binding, role]
#   parameters:
#     - name: namespace
#       description: only access to Secrets in this namespace; empty for any
#       default: ""
package kscan.queries.who_can_read_secrets

import data.kscan
import data.kscan.lib.rbac

read_verbs := ["get", "list", "watch"]

result contains row if {
	some subject, grants in object.get(kscan.facts, ["rbac", "subjects"], {})
	some g in grants
	kscan.in_scope(g.namespace, kscan.param("namespace", ""))
	role := kscan.nodes[g.role]
	matching := [rule |
		some rule in rbac.rules_of(role)
		some v in read_verbs
		kscan.allows(rule, v, "secrets")
	]
	count(matching) > 0
	row := {
		"subject": subject,
		"verbs": sort({v | some v in read_verbs; some rule in matching; kscan.allows(rule, v, "secrets")}),
		"namespace": scope(g.namespace),
		"secrets": limited(matching),
		"binding": kscan.nodes[g.binding].id,
		"role": role.id,
	}
}

scope("") := "*"

scope(ns) := ns if ns != ""

limited(rules) := ["all"] if {
	some r in rules
	count(object.get(r, "resourceNames", [])) == 0
} else := sort({n | some r in rules; some n in r.resourceNames})
