# METADATA
# title: Image comes from a registry that is not allowed
# description: |
#   Workloads may only run images from the registries the team trusts; an
#   image from anywhere else has not been scanned or signed by its pipeline.
# custom:
#   id: custom/allowed-registries
#   severity: medium
#   remediation: Push the image to an allowed registry and use it from there.
#   frameworks:
#     internal: ["SUP-3"]
#   params:
#     registries:
#       type: array
#       items:
#         type: string
#       default: ["registry.example.com"]
package kscan.rules.custom.allowed_registries

import data.kscan.lib.k8s

# Rule parameters arrive under input.facts.params[<rule id>]; kscan scan has
# none, so the default applies there.
registries := object.get(input, ["facts", "params", "custom/allowed-registries", "registries"], ["registry.example.com"])

deny contains finding if {
	some w in k8s.workloads
	some c in w.containers
	not allowed(c.image)
	finding := {
		"key": w.key,
		"message": sprintf("%s uses image %q, which is not from an allowed registry (%s)", [k8s.container_label(c), c.image, concat(", ", registries)]),
		"discriminator": c.name,
	}
}

allowed(image) if {
	some r in registries
	startswith(image, concat("", [r, "/"]))
}
