# METADATA
# title: Ingress without TLS
# description: |
#   An Ingress without a tls section serves its hosts over plain HTTP:
#   credentials, session cookies and data cross the network in clear text and
#   can be altered on the way.
# custom:
#   id: k8s/ingress-without-tls
#   watch: namespace
#   severity: medium
#   identity: resource
#   applies_to:
#     - "k8s:networking.k8s.io/Ingress"
#   remediation: |
#     Add spec.tls with the hosts and a certificate Secret (cert-manager can
#     issue and renew it), and redirect HTTP to HTTPS.
#   frameworks:
#     nsa: ["Network separation and hardening: Encryption"]
package kscan.rules.k8s.ingress_without_tls

import data.kscan.lib.k8s

deny contains finding if {
	some ing in k8s.nodes("k8s:networking.k8s.io/Ingress")
	count(k8s.list_of(object.get(ing.object, ["spec", "tls"], []))) == 0
	finding := {
		"key": ing.key,
		"message": sprintf("%s has no spec.tls: its hosts are served over plain HTTP", [k8s.node_label(ing)]),
		"discriminator": "tls",
	}
}
