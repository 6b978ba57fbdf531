# METADATA
# title: Image uses the latest tag or no tag
# description: |
#   An image without a digest whose tag is missing or "latest" can change under
#   a running workload: two replicas can run different code, and a rollback
#   does not roll back the image.
# custom:
#   id: k8s/image-tag-latest
#   watch: namespace
#   severity: high
#   identity: resource + container
#   applies_to:
#     - "workloads"
#   remediation: Pin the image to a version tag and, better, to a digest (image@sha256:…).
#   frameworks:
#     nsa: ["Container images: use trusted, immutable images"]
#     cis: ["5.5.1"]
package kscan.rules.k8s.image_tag_latest

import data.kscan.lib.k8s

deny contains finding if {
	some w in k8s.workloads
	some c in w.containers
	not c.image_ref.digest
	c.image_ref.tag in {"", "latest"}
	finding := {
		"key": w.key,
		"message": sprintf("%s uses image %q without a fixed tag%s", [k8s.container_label(c), c.image, k8s.resolves_now(c)]),
		"discriminator": c.name,
	}
}
