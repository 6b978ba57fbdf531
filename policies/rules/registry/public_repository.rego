# METADATA
# title: Registry repository policy lets anyone in
# description: |
#   A repository policy statement that allows Principal "*" (or AWS "*")
#   with no Condition lets every AWS account, authenticated or not, use the
#   repository: pull private images, and push or delete them when the
#   actions allow it. Judges registry:Repository nodes from every source (ECR
#   live or from `aws ecr get-repository-policy`, Pulumi
#   aws.ecr.RepositoryPolicy resources).
# custom:
#   id: registry/public-repository
#   watch: ["registry:*", "aws:*"]
#   severity: high
#   identity: resource + policy statement id
#   applies_to:
#     - "registry:Repository"
#   remediation: |
#     Name the accounts or organisation that may pull (Principal with account
#     ARNs, or a Condition on aws:PrincipalOrgID / aws:SourceAccount) and
#     never grant push actions to "*".
#   frameworks:
#     nsa: ["Container images: use trusted, immutable images"]
#   scope: stack
package kscan.rules.registry.public_repository

import data.kscan.lib.k8s

# Policy documents of a repository: its own (ECR) or from a Pulumi
# RepositoryPolicy resource naming it.
policies(n) := {d |
	d := n.attrs.policy_document
	is_object(d)
} | {d |
	some p in k8s.nodes("aws:ecr/RepositoryPolicy")
	p.object.repository == n.object.name
	d := p.attrs.policy_document
	is_object(d)
}

statements(d) := d.Statement if is_array(d.Statement)

statements(d) := [d.Statement] if is_object(d.Statement)

star_principal(s) if s.Principal == "*"

star_principal(s) if s.Principal.AWS == "*"

star_principal(s) if "*" in s.Principal.AWS

actions(s) := concat(", ", s.Action) if is_array(s.Action)

actions(s) := s.Action if is_string(s.Action)

actions(s) := "all actions" if not s.Action

deny contains finding if {
	some n in k8s.nodes("registry:Repository")
	some d in policies(n)
	some i, s in statements(d)
	s.Effect == "Allow"
	star_principal(s)
	not s.Condition
	sid := object.get(s, "Sid", sprintf("#%d", [i]))
	finding := {
		"key": n.key,
		"message": sprintf("repository %s: policy statement %s allows Principal \"*\" without a condition (%s)", [label(n), sid, actions(s)]),
		"discriminator": sid,
	}
}

label(n) := sprintf("%q", [n.object.name]) if is_string(n.object.name)

label(n) := n.id if not is_string(n.object.name)
