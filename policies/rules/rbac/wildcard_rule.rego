# METADATA
# title: Role rule uses a wildcard
# description: |
#   A "*" in verbs, resources or apiGroups grants everything that exists now
#   and everything added later (new resources, CRDs, subresources such as
#   pods/exec), which is rarely what the author meant and never what a
#   reviewer can check. Kubernetes' own roles (recognised by name and
#   content, see docs/rbac.md) are not reported; a role no binding grants
#   is reported as low.
# custom:
#   id: rbac/wildcard-rule
#   watch: ["k8s:rbac.authorization.k8s.io/Role", "k8s:rbac.authorization.k8s.io/RoleBinding", "k8s:rbac.authorization.k8s.io/ClusterRole", "k8s:rbac.authorization.k8s.io/ClusterRoleBinding", "k8s:core/ServiceAccount"]
#   severity: medium
#   identity: resource + rule index
#   applies_to:
#     - "k8s:rbac.authorization.k8s.io/Role -builtin"
#     - "k8s:rbac.authorization.k8s.io/ClusterRole -builtin"
#   remediation: List the verbs, resources and API groups the subject needs explicitly.
#   frameworks:
#     cis: ["5.1.3"]
#     nsa: ["Authentication and authorization: Role-based access control"]
package kscan.rules.rbac.wildcard_rule

import data.kscan.lib.k8s
import data.kscan.lib.rbac

deny contains finding if {
	some role in rbac.roles
	not rbac.builtin(role)
	some i, rule in k8s.list_of(object.get(role.object, "rules", []))
	fields := [f | some f in ["apiGroups", "resources", "verbs"]; "*" in k8s.list_of(rule[f])]
	count(fields) > 0
	finding := object.union(
		{
			"key": role.key,
			"message": sprintf("%s rule %d has \"*\" in %s%s", [k8s.node_label(role), i, concat(", ", fields), unbound_note(role)]),
			"discriminator": sprintf("rules[%d]", [i]),
		},
		unbound_severity(role),
	)
}

# An unbound role grants nothing until someone binds it.
unbound_note(role) := "" if rbac.bound_anyhow(role)

unbound_note(role) := "; no binding grants it" if not rbac.bound_anyhow(role)

unbound_severity(role) := {} if rbac.bound_anyhow(role)

unbound_severity(role) := {"severity": "low"} if not rbac.bound_anyhow(role)
