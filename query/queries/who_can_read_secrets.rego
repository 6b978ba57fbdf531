# METADATA
# title: Who can read Secrets
# description: |
#   Every subject (User, Group, ServiceAccount) that a binding allows to
#   get, list or watch Secrets (judged by rbac/ with the API server's own
#   rule matcher), with the binding, the role (aggregation resolved), the namespace it holds in ("*": every namespace, a
#   ClusterRoleBinding) and the Secrets it is limited to by resourceNames
#   ("all" when not limited). With namespace=payments, only what reaches
#   Secrets in payments (its RoleBindings and every ClusterRoleBinding).
#   Groups are listed as subjects: system:authenticated means everyone who
#   can log in. kscan who-can get secrets answers with the API server's own
#   authorizer.
# custom:
#   name: who-can-read-secrets
#   watch: namespace
#   watch_key: binding
#   columns: [subject, verbs, namespace, secrets, binding, role]
#   parameters:
#     - name: namespace
#       description: only access to Secrets in this namespace; empty for any
#       default: ""
package kscan.queries.who_can_read_secrets

import data.kscan
import data.kscan.lib.rbac

# The checks rbac/ computes for every role with the API server's own rule
# matcher (wildcards, resourceNames): {all} or {names}.
read_checks := {"get": "get secrets", "list": "list secrets", "watch": "watch secrets"}

result contains row if {
	some subject, grants in object.get(kscan.facts, ["rbac", "subjects"], {})
	some g in grants
	kscan.in_scope(g.namespace, kscan.param("namespace", ""))
	role := kscan.nodes[g.role]
	checks := {v: c | some v, id in read_checks; c := rbac.check(role, id)}
	count(checks) > 0
	row := {
		"subject": subject,
		"verbs": sort([v | some v, _ in checks]),
		"namespace": scope(g.namespace),
		"secrets": limited(checks),
		"binding": kscan.nodes[g.binding].id,
		"role": role.id,
	}
}

scope("") := "*"

scope(ns) := ns if ns != ""

limited(checks) := ["all"] if {
	some _, c in checks
	c.all
} else := sort({n | some _, c in checks; some n in c.names})
