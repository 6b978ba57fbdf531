# METADATA
# title: Registry repository allows tags to be overwritten
# description: |
#   When tags are mutable, pushing an image under an existing tag silently
#   replaces what every workload using that tag will pull next. A compromised
#   CI job can swap a released image. Judges registry:Repository nodes from
#   every source (ECR via AWS or Pulumi state) on imageTagMutability.
# custom:
#   id: registry/mutable-tags
#   severity: medium
#   identity: resource
#   applies_to:
#     - "registry:Repository -derived"
#   remediation: |
#     Set imageTagMutability to IMMUTABLE (or IMMUTABLE_WITH_EXCLUSION for
#     tags such as "latest" that are meant to move) and deploy by digest.
#   frameworks:
#     nsa: ["Container images: use trusted, immutable images"]
#   scope: resource
package kscan.rules.registry.mutable_tags

import data.kscan.lib.k8s

mutable := {"MUTABLE", "MUTABLE_WITH_EXCLUSION"}

deny contains finding if {
	some n in k8s.nodes("registry:Repository")
	m := n.object.imageTagMutability
	m in mutable
	finding := {
		"key": n.key,
		"message": sprintf("repository %s has imageTagMutability %s: pushed tags can be overwritten%s", [label(n), m, pulled_by(n)]),
	}
}

# Workloads in the graph that pull from the repository by tag (no digest),
# via workload -runs-image-> image -stored-in-> repository (issue 6).
tag_pullers(n) := {sprintf("%s (%s)", [k8s.workload_label(w), c.image]) |
	some w in k8s.workloads
	some c in w.containers
	not c.image_ref.digest
	img := input.facts.registry.refs[c.image]
	n.key in k8s.outgoing(img, "stored-in")
}

pulled_by(n) := sprintf("; pulled by tag by %s", [concat(", ", sort(tag_pullers(n)))]) if count(tag_pullers(n)) > 0

pulled_by(n) := "" if count(tag_pullers(n)) == 0

label(n) := sprintf("%q", [n.object.name]) if is_string(n.object.name)

label(n) := n.id if not is_string(n.object.name)
