# METADATA
# title: Bound role can use the nodes/proxy subresource
# description: |
#   nodes/proxy reaches the kubelet API of every node through the API server:
#   it can run commands in any pod on the node (bypassing pods/exec, and its
#   audit trail), read logs and pod specs. Any verb is enough. Only roles that
#   some binding grants are reported.
# custom:
#   id: rbac/node-proxy
#   severity: high
#   identity: resource (for a built-in role, the binding and the role)
#   scope: stack
#   remediation: |
#     Remove nodes/proxy from the role; monitoring agents can read metrics
#     from nodes/metrics or the metrics API instead.
#   frameworks:
#     cis: ["5.1.10"]
#     nsa: ["Authentication and authorization: Role-based access control"]
package kscan.rules.rbac.node_proxy

import data.kscan.lib.k8s
import data.kscan.lib.rbac

deny contains finding if {
	some role in rbac.roles
	verbs := {v |
		some rule in k8s.list_of(rbac.rules_of(role))
		rbac.matches(k8s.list_of(rule.apiGroups), "")
		some r in k8s.list_of(rule.resources)
		rbac.resource_matches(r, "nodes/proxy")
		some v in k8s.list_of(rule.verbs)
		is_string(v)
	}
	count(verbs) > 0
	what := sprintf("%s on nodes/proxy", [concat("/", sort(verbs))])
	some finding in rbac.bound_role_findings(role, what, "nodes/proxy")
}
