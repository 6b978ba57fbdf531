# METADATA
# title: ServiceAccounts no workload runs as
# description: |
#   ServiceAccounts declared in the inputs that no scanned workload runs as,
#   with the RBAC bindings that still name them (an unused account that
#   keeps permissions is a credential waiting to be misused). Workloads
#   created outside the inputs (by an operator, a CI job with a token) are
#   not seen: check before deleting.
# custom:
#   name: unused-service-accounts
#   watch: namespace
#   watch_key: service_account
#   columns: [service_account, bindings, source]
#   limits: only workloads among the inputs count as users
package kscan.queries.unused_service_accounts

import data.kscan

result contains row if {
	some sa in kscan.of_type("k8s:core/ServiceAccount")
	sa.source.kind != "derived"
	count(kscan.incoming(sa.key, "runs-as")) == 0
	row := {
		"service_account": sa.id,
		"bindings": sort({kscan.nodes[g.binding].id | some g in kscan.grants(sprintf("ServiceAccount %s/%s", [sa.namespace, sa.name]))}),
		"source": location(sa.source),
	}
}

location(s) := sprintf("%s:%d", [s.file, s.line]) if {
	s.file
	s.line
} else := object.get(s, "file", object.get(s, "path", s.kind))
