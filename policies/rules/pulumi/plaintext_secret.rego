# METADATA
# title: Secret-looking Pulumi property holds a plain value
# description: |
#   A resource input or output whose name looks like a secret (password,
#   secret, token, private key, connection string, API key…, also with an
#   encoding suffix such as privateKeyPem or private_key_openssh), any key of
#   a Kubernetes Secret's data/stringData, or a value a provider generates
#   as a secret (the result of random.RandomPassword and RandomString, the
#   bytes of RandomBytes, a tls.PrivateKey's private key) holds a plain value
#   instead of a Pulumi secret. Plain values are stored unencrypted in the stack's state
#   and shown by `pulumi stack export` and in diffs. The check is computed in
#   Go; the value itself is never kept nor printed.
# custom:
#   id: pulumi/plaintext-secret
#   watch: namespace
#   severity: high
#   identity: resource + property path
#   applies_to:
#     - "attr:pulumi"
#   remediation: |
#     Wrap the value in pulumi.secret() (or read it with config.requireSecret),
#     or list the output in additionalSecretOutputs, then run pulumi up so the
#     state holds it encrypted. Rotate the credential: it has been stored in
#     plaintext.
#   frameworks:
#     cis: ["secrets management"]
#   scope: resource
package kscan.rules.pulumi.plaintext_secret

import data.kscan.lib.k8s

deny contains finding if {
	some n in k8s.with_attr("pulumi")
	some path in n.attrs.pulumi.plaintext_secrets
	finding := {
		"key": n.key,
		"message": sprintf("%s holds a plain value where a secret is expected; make it a Pulumi secret", [describe(path)]),
		"discriminator": path,
	}
}

describe(path) := sprintf("input %q", [substring(path, 7, -1)]) if startswith(path, "inputs.")

describe(path) := sprintf("output %q", [substring(path, 8, -1)]) if startswith(path, "outputs.")

describe(path) := sprintf("property %q", [path]) if {
	not startswith(path, "inputs.")
	not startswith(path, "outputs.")
}
