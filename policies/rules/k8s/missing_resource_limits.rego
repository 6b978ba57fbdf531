# METADATA
# title: Container has no memory limit
# description: |
#   Without a memory limit a leaking or attacked container can use all the
#   memory of its node until the kernel kills other workloads. The limit
#   bounds the damage to the container itself. Ephemeral containers cannot
#   set resources and are not judged.
# custom:
#   id: k8s/missing-resource-limits
#   watch: namespace
#   severity: low
#   identity: resource + container
#   applies_to:
#     - "workloads"
#   remediation: |
#     Set resources.limits.memory on every container (and a LimitRange with a
#     default for the namespace).
#   frameworks:
#     nsa: ["Network separation and hardening: Resource policies"]
package kscan.rules.k8s.missing_resource_limits

import data.kscan.lib.k8s

deny contains finding if {
	some w in k8s.workloads
	some c in w.containers
	c.list != "ephemeralContainers"
	not has_memory_limit(c)
	finding := {
		"key": w.key,
		"message": sprintf("%s has no memory limit", [k8s.container_label(c)]),
		"discriminator": c.name,
	}
}

has_memory_limit(c) if c.resources.limits.memory != null
