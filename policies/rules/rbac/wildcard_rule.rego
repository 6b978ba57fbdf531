# METADATA
# title: Role rule uses a wildcard
# description: |
#   A "*" in verbs, resources or apiGroups grants everything that exists now
#   and everything added later (new resources, CRDs, subresources such as
#   pods/exec), which is rarely what the author meant and never what a
#   reviewer can check. Kubernetes' own roles (system: names, the
#   rbac-defaults bootstrap label) are not reported.
# custom:
#   id: rbac/wildcard-rule
#   severity: medium
#   identity: resource + rule index
#   remediation: List the verbs, resources and API groups the subject needs explicitly.
#   frameworks:
#     cis: ["5.1.3"]
#     nsa: ["Authentication and authorization: Role-based access control"]
package kscan.rules.rbac.wildcard_rule

import data.kscan.lib.k8s
import data.kscan.lib.rbac

deny contains finding if {
	some role in rbac.roles
	not rbac.derived(role)
	not rbac.system_role(role)
	some i, rule in k8s.list_of(rbac.rules_of(role))
	fields := [f | some f in ["apiGroups", "resources", "verbs"]; "*" in k8s.list_of(rule[f])]
	count(fields) > 0
	finding := {
		"key": role.key,
		"message": sprintf("%s rule %d has \"*\" in %s", [k8s.node_label(role), i, concat(", ", fields)]),
		"discriminator": sprintf("rules[%d]", [i]),
	}
}
