# METADATA
# title: Image does not exist in its registry
# description: |
#   The registry answered that the tag or digest a workload references does
#   not exist: new pods will fail with ImagePullBackOff, and a rollout or a
#   node replacement takes the workload down. Only judged for images a
#   registry answered for (not with --registry-offline, not for registries
#   that could not be reached; those are named in the scan's warnings).
# custom:
#   id: registry/image-unresolvable
#   watch: namespace
#   severity: medium
#   identity: resource + container
#   remediation: |
#     Fix the reference (typo, deleted tag, wrong registry) or push the
#     image; check lifecycle policies that expire tags still in use.
#   frameworks:
#     nsa: ["Container images: use trusted, immutable images"]
#   scope: resource
package kscan.rules.registry.image_unresolvable

import data.kscan.lib.k8s

# From the image nodes to the containers that run them: only images the
# registry collector marked are followed.
deny contains finding if {
	some img in k8s.nodes("registry:Image")
	img.attrs.status == "not-found"
	some [w, c] in k8s.image_users(img)
	finding := {
		"key": w.key,
		"message": sprintf("%s uses image %q, which its registry does not have (%s)", [k8s.container_label(c), c.image, img.id]),
		"discriminator": c.name,
	}
}
