package kscan.rules.rbac.node_proxy_test

import data.kscan.rules.rbac.node_proxy as rule

crole(rules) := {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole", "metadata": {"name": "monitoring"}, "rules": rules}

crb := {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding", "metadata": {"name": "monitoring"}, "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "monitoring"}, "subjects": [{"kind": "ServiceAccount", "name": "prometheus", "namespace": "monitoring"}]}

bound(rules) := kscan.graph([crole(rules), crb])

test_get_denied if {
	inp := bound([{"apiGroups": [""], "resources": ["nodes/proxy"], "verbs": ["get"]}])
	some f in rule.deny with input as inp
	f.key == "ClusterRole/monitoring"
	contains(f.message, "get on nodes/proxy")
	contains(f.message, "ServiceAccount monitoring/prometheus")
}

test_any_verb_denied if {
	inp := bound([{"apiGroups": [""], "resources": ["nodes/proxy"], "verbs": ["create"]}])
	count(rule.deny) == 1 with input as inp
}

# Kubernetes' ResourceMatches knows only "*" and "*/<sub>": "nodes/*" is a
# literal resource name that grants nothing on nodes/proxy.
test_nodes_slash_star_is_not_a_wildcard_allowed if {
	inp := bound([{"apiGroups": [""], "resources": ["nodes/*"], "verbs": ["get", "list"]}])
	count(rule.deny) == 0 with input as inp
}

test_any_resource_subresource_wildcard_denied if {
	inp := bound([{"apiGroups": [""], "resources": ["*/proxy"], "verbs": ["get"]}])
	count(rule.deny) == 1 with input as inp
}

test_wildcard_denied if {
	inp := bound([{"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]}])
	count(rule.deny) == 1 with input as inp
}

test_nodes_and_metrics_allowed if {
	inp := bound([{"apiGroups": [""], "resources": ["nodes", "nodes/metrics", "nodes/stats"], "verbs": ["get", "list", "watch"]}])
	count(rule.deny) == 0 with input as inp
}

test_no_verbs_allowed if {
	inp := bound([{"apiGroups": [""], "resources": ["nodes/proxy"], "verbs": []}])
	count(rule.deny) == 0 with input as inp
}

test_unbound_allowed if {
	inp := kscan.graph([crole([{"apiGroups": [""], "resources": ["nodes/proxy"], "verbs": ["get"]}])])
	count(rule.deny) == 0 with input as inp
}
