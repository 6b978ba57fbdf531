# METADATA
# title: Registry repository does not scan images on push
# description: |
#   Without scan on push, known vulnerabilities in a pushed image are found
#   only if someone scans it later, usually after it is deployed. Judges
#   registry:Repository nodes from every source on
#   imageScanningConfiguration.scanOnPush (false or absent; ECR's default is
#   off). An unknown value is not judged.
# custom:
#   id: registry/scan-on-push-disabled
#   watch: ["registry:*", "aws:*"]
#   severity: low
#   identity: resource
#   applies_to:
#     - "registry:Repository -derived"
#   remediation: |
#     Set imageScanningConfiguration.scanOnPush to true (or enable enhanced
#     scanning for the registry).
#   frameworks:
#     nsa: ["Container images: scan images for vulnerabilities"]
#   scope: resource
package kscan.rules.registry.scan_on_push_disabled

import data.kscan.lib.k8s

disabled(n) if n.object.imageScanningConfiguration.scanOnPush == false

disabled(n) if not "scanOnPush" in object.keys(object.get(n.object, "imageScanningConfiguration", {}))

deny contains finding if {
	some n in k8s.nodes("registry:Repository")
	is_object(n.object)
	not n.source.kind == "derived" # made from an image reference: nothing known about its settings
	disabled(n)
	finding := {
		"key": n.key,
		"message": sprintf("repository %s does not scan images on push", [label(n)]),
	}
}

label(n) := sprintf("%q", [n.object.name]) if is_string(n.object.name)

label(n) := n.id if not is_string(n.object.name)
