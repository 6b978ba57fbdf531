# METADATA
# title: Container lacks CPU or memory requests
# description: |
#   The scheduler places pods by their requests. A container without CPU and
#   memory requests is placed as if it needed nothing, gets the lowest
#   eviction priority, and makes the node's real load invisible to capacity
#   planning. Ephemeral containers cannot set resources and are not judged.
# custom:
#   id: k8s/missing-resource-requests
#   watch: namespace
#   severity: low
#   identity: resource + container
#   applies_to:
#     - "workloads"
#   remediation: Set resources.requests.cpu and resources.requests.memory on every container.
#   frameworks:
#     nsa: ["Network separation and hardening: Resource policies"]
package kscan.rules.k8s.missing_resource_requests

import data.kscan.lib.k8s

deny contains finding if {
	some w in k8s.workloads
	some c in w.containers
	c.list != "ephemeralContainers"
	not has_both(c) # most containers: dismissed in one call
	missing := [r | some r in ["cpu", "memory"]; not has_request(c, r)]
	count(missing) > 0
	finding := {
		"key": w.key,
		"message": sprintf("%s has no %s request", [k8s.container_label(c), concat(" or ", missing)]),
		"discriminator": c.name,
	}
}

has_request(c, r) if c.resources.requests[r] != null

has_both(c) if {
	c.resources.requests.cpu != null
	c.resources.requests.memory != null
}
