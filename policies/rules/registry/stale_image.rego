# METADATA
# title: Image is older than the maximum age
# description: |
#   The image's config says it was built longer ago than --max-image-age
#   (default 365 days). Old images miss the fixes of their base image and
#   packages, even when the tag looks current. Judged from the created time
#   in the image config the registry serves.
# custom:
#   id: registry/stale-image
#   watch: namespace
#   severity: low
#   identity: resource + container
#   remediation: |
#     Rebuild the image on a current base image and redeploy; rebuild
#     regularly even when the application does not change.
#   frameworks:
#     nsa: ["Container images: scan images for vulnerabilities"]
#   scope: resource
package kscan.rules.registry.stale_image

import data.kscan.lib.k8s

# From the image nodes to the containers that run them: only images the
# registry collector marked are followed.
deny contains finding if {
	some img in k8s.nodes("registry:Image")
	img.attrs.stale == true
	some [w, c] in k8s.image_users(img)
	finding := {
		"key": w.key,
		"message": sprintf("%s uses image %q created %s (%d days ago), older than the maximum age of %d days", [k8s.container_label(c), c.image, img.attrs.created, img.attrs.age_days, img.attrs.max_age_days]),
		"discriminator": c.name,
	}
}
