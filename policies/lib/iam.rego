# Helpers for rules about AWS IAM. Effective permissions, trust-policy
# checks and the ServiceAccount -> role joins are computed in Go
# (iampolicy.Enrich) into node attrs and input.facts.iam; see docs/iam.md.
package kscan.lib.iam

import data.kscan.lib.k8s

principal_types := {"aws:iam/User", "aws:iam/Group", "aws:iam/Role"}

# principals: every IAM user, group and role.
principals contains p if {
	some t in principal_types
	some p in k8s.nodes(t)
}

roles := k8s.nodes("aws:iam/Role")

# AWS service-linked roles (path /aws-service-role/) are owned and assumed
# by AWS services only; nobody in the account can use or change them.
service_linked(p) if startswith(object.get(p.object, "Path", ""), "/aws-service-role/")

attr(p, name, fallback) := object.get(object.get(p, "attrs", {}), name, fallback)

# admin(p): the principal's effective permissions allow * on *.
admin(p) if attr(p, "admin", false) == true

escalations(p) := attr(p, "escalations", [])

# escalates(p): the principal can raise its own privileges.
escalates(p) if count(escalations(p)) > 0

# dangerous(p): admin, or can become admin.
dangerous(p) if admin(p)

dangerous(p) if escalates(p)

kind(p) := trim_prefix(p.type, "aws:iam/")

name(p) := n if {
	some f in ["RoleName", "UserName", "GroupName"]
	n := p.object[f]
} else := p.id

# label(p): "role web-admin" for messages.
label(p) := sprintf("%s %s", [lower(kind(p)), name(p)])

# escalation_text(e): "PassRole+Lambda (iam:PassRole, lambda:CreateFunction via inline policy x)".
escalation_text(e) := sprintf("%s (%s via %s)", [e.path, concat(", ", e.actions), concat(", ", e.via)])

# why(p): what makes a principal dangerous, naming the policies.
why(p) := sprintf("allows * on * through %s", [concat(", ", attr(p, "admin_via", []))]) if admin(p)

why(p) := sprintf("can escalate its privileges: %s", [concat("; ", [escalation_text(e) | some e in escalations(p)])]) if {
	not admin(p)
	escalates(p)
}

# policies_of(p): the policies behind why(p), for path messages.
policies_of(p) := concat(", ", attr(p, "admin_via", [])) if admin(p)

policies_of(p) := concat(", ", sort({v | some e in escalations(p); some v in e.via})) if {
	not admin(p)
	escalates(p)
}

# how(sa_key, role_key): "IRSA" or "EKS Pod Identity".
how(sa_key, role_key) := "EKS Pod Identity" if {
	some e in object.get(input.facts, ["iam", "pod_identity"], [])
	e.sa == sa_key
	e.role == role_key
} else := "IRSA"

# dangerous_workload_roles: {w, sa, role} for each workload whose
# ServiceAccount assumes a dangerous role (through an admitted IRSA
# annotation or a Pod Identity association). It is found from the roles
# backwards: a scan without IAM data, or without dangerous roles, has
# nothing to follow.
dangerous_workload_roles contains {"w": w, "sa": input.nodes[sa], "role": role} if {
	some role in roles
	dangerous(role)
	some sa in k8s.incoming(role.key, "assumes")
	some wk in k8s.incoming(sa, "runs-as")
	w := k8s.workload_index[wk]
}
