# METADATA
# title: Images older than a number of days
# description: |
#   Images whose build time (the image config's created time, as the
#   registry reports it when kscan asks it) is more than days ago, with the
#   workloads and containers running them. The build time is known only for
#   images a registry was asked about (kscan query --registry …): without
#   registry data the answer is empty, which does not mean nothing is
#   stale. Reproducible builds that set the created time to 1970 show as
#   very old.
# custom:
#   name: stale-images
#   columns: [image, created, age_days, containers, workloads]
#   limits: needs registry data (--registry); images never resolved have no build time
#   parameters:
#     - name: days
#       type: number
#       description: the age in days from which an image is stale
#       default: 90
package kscan.queries.stale_images

import data.kscan
import data.kscan.lib.k8s

result contains row if {
	some img in kscan.of_type("registry:Image")
	age := img.attrs.age_days
	age > kscan.param("days", 90)
	users := k8s.image_users(img)
	row := {
		"image": img.id,
		"created": img.attrs.created,
		"age_days": age,
		"containers": count(users),
		"workloads": sort({u[0].id | some u in users}),
	}
}
