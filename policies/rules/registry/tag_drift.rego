# METADATA
# title: Running pod's image differs from what its tag points at now
# description: |
#   A running pod reports the digest it pulled in
#   status.containerStatuses[].imageID. When the registry now resolves the
#   same tag to another digest, the tag was moved after the pod started:
#   replicas started before and after the move run different code, and a
#   restart changes what runs. Needs the registry lookups of kscan scan (not
#   --registry-offline) and pods from the live cluster.
# custom:
#   id: registry/tag-drift
#   watch: namespace
#   severity: medium
#   identity: resource + container
#   remediation: |
#     Deploy by digest (image: repo:tag@sha256:…), make the repository's tags
#     immutable, and roll the workload so every replica runs the same image.
#   frameworks:
#     nsa: ["Container images: use trusted, immutable images"]
#   scope: resource
package kscan.rules.registry.tag_drift

import data.kscan.lib.k8s

statuses(p) := array.concat(
	k8s.list_of(object.get(p.object, ["status", "initContainerStatuses"], [])),
	k8s.list_of(object.get(p.object, ["status", "containerStatuses"], [])),
)

specs(p) := array.concat(
	k8s.list_of(object.get(p.object, ["spec", "initContainers"], [])),
	k8s.list_of(object.get(p.object, ["spec", "containers"], [])),
)

# The digest a container runtime reports: "<repo>@sha256:…", possibly with
# a docker-pullable:// prefix. A bare image ID (config digest) says nothing
# about the manifest and is not compared.
running_digest(id) := d if {
	parts := split(id, "@")
	count(parts) == 2
	d := parts[1]
	startswith(d, "sha256:")
}

deny contains finding if {
	some p in k8s.nodes("k8s:core/Pod")
	some st in statuses(p)
	some c in specs(p)
	c.name == st.name
	not contains(c.image, "@")
	img := input.nodes[input.facts.registry.refs[c.image]]
	img.attrs.status == "resolved"
	now := img.attrs.digest
	running := running_digest(st.imageID)
	running != now
	finding := {
		"key": p.key,
		"message": sprintf("container %q runs %s at %s, but the tag now resolves to %s: the tag moved after the pod started", [c.name, c.image, running, now]),
		"discriminator": c.name,
	}
}
