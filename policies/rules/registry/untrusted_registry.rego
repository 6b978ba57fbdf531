# METADATA
# title: Image comes from a registry outside the allow-list
# description: |
#   With --allowed-registries set, every image must come from one of the
#   listed registries (host) or repositories (host/path/*). Images from
#   elsewhere are not pulled through the organisation's controls (scanning,
#   signing, retention) and were not contacted by kscan.
# custom:
#   id: registry/untrusted-registry
#   watch: namespace
#   severity: medium
#   identity: resource + container
#   remediation: |
#     Mirror the image into an allowed registry and reference it there, or add
#     the registry to --allowed-registries if it is trusted.
#   frameworks:
#     nsa: ["Container images: use trusted, immutable images"]
#   scope: resource
package kscan.rules.registry.untrusted_registry

import data.kscan.lib.k8s

# From the image nodes to the containers that run them: only images the
# registry collector marked are followed.
deny contains finding if {
	some img in k8s.nodes("registry:Image")
	img.attrs.allowed == false
	some [w, c] in k8s.image_users(img)
	finding := {
		"key": w.key,
		"message": sprintf("%s uses image %q from %s, which is not in --allowed-registries", [k8s.container_label(c), c.image, img.attrs.registry]),
		"discriminator": c.name,
	}
}
