# METADATA
# title: Distinct versions of an image
# description: |
#   The distinct versions (tag and digest) of the images whose repository
#   has a path segment equal to name (name=mysql matches docker.io/library/mysql,
#   bitnami/mysql and mysql/mysql-server), each with the workloads running it
#   and how many containers do. One row per repository, tag and digest: with
#   --format count, the number of distinct versions. The digest is the
#   pinned one, else the one a registry resolved (kscan query --registry).
# custom:
#   name: image-versions
#   columns: [image, version, digest, containers, workloads]
#   parameters:
#     - name: name
#       description: a path segment of the repository, e.g. mysql; empty for every image
#       default: ""
package kscan.queries.image_versions

import data.kscan

uses contains [kscan.repository(c), version(c), kscan.digest(c), w.id, c.list, c.name] if {
	some w in kscan.workloads
	some c in kscan.containers(w)
	c.image_ref
	matches(c.image_ref.repository, kscan.param("name", ""))
}

# An image without a tag or digest runs latest.
version(c) := "latest" if {
	c.image_ref.tag == ""
	not c.image_ref.digest
} else := c.image_ref.tag

matches(_, "")

matches(repo, name) if {
	name != ""
	name in split(repo, "/")
}

result contains row if {
	some use in uses
	[image, v, d] := array.slice(use, 0, 3)
	same := [u | some u in uses; u[0] == image; u[1] == v; u[2] == d]
	row := {
		"image": image,
		"version": v,
		"digest": d,
		"containers": count(same),
		"workloads": sort({u[3] | some u in same}),
	}
}
