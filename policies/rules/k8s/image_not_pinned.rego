# METADATA
# title: Image is not pinned to a digest
# description: |
#   An image referenced by a version tag alone is mutable: whoever can push to
#   the repository can move the tag, and the nodes silently run different
#   content after the next pull. Only a sha256 digest names exactly one image.
#   (Images with no tag or the latest tag are reported by k8s/image-tag-latest.)
# custom:
#   id: k8s/image-not-pinned
#   watch: namespace
#   severity: medium
#   identity: resource + container
#   applies_to:
#     - "workloads"
#   remediation: |
#     Reference the image by digest, keeping the tag for readability:
#     image: nginx:1.27.3@sha256:<digest>. Let a bot (Renovate, Dependabot) update digests.
#   frameworks:
#     cis: ["5.5.1"]
#     nsa: ["Container images: use trusted, immutable images"]
package kscan.rules.k8s.image_not_pinned

import data.kscan.lib.k8s

deny contains finding if {
	some w in k8s.workloads
	some c in w.containers
	tag := c.image_ref.tag
	not tag in {"", "latest"}
	not pinned(c)
	finding := {
		"key": w.key,
		"message": sprintf("%s uses image %q by tag %q without a sha256 digest%s", [k8s.container_label(c), c.image, tag, k8s.resolves_now(c)]),
		"discriminator": c.name,
	}
}

# A sha256 digest, well formed (64 lowercase hex digits, as the OCI spec
# requires): anything else does not pin the image.
pinned(c) if regex.match(`^sha256:[a-f0-9]{64}$`, c.image_ref.digest)
