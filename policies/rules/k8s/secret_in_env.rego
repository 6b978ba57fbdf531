# METADATA
# title: Credential in a literal environment variable
# description: |
#   An environment variable whose name says it holds a credential (PASSWORD,
#   TOKEN, SECRET, API_KEY, PRIVATE_KEY…) is set with a literal value: the
#   credential is in the manifest, in Git, in every rendered chart and in
#   the workload object, readable by anyone who can get the Deployment
#   (far more people than can read Secrets) and in the pod's environment.
#   A PEM private key in a value is reported whatever the variable's name.
#   kscan never prints the value. Names for files, URLs, ids and settings
#   about a credential (DB_PASSWORD_FILE, TOKEN_URL, AWS_ACCESS_KEY_ID,
#   SECRET_NAME) and values that cannot be credentials (true, false,
#   $(OTHER_VAR)) are not reported.
# custom:
#   id: k8s/secret-in-env
#   watch: namespace
#   severity: high
#   identity: resource + container
#   applies_to:
#     - "workloads"
#   remediation: |
#     Move the value to a Secret (or an external secret store) and reference
#     it with env[].valueFrom.secretKeyRef, or mount it as a file; then
#     rotate the credential, since the old value is in history.
#   frameworks:
#     cis: ["5.4.1"]
package kscan.rules.k8s.secret_in_env

import data.kscan.lib.k8s

deny contains finding if {
	some w in k8s.workloads
	some c in w.containers
	candidate(c)
	names := sort({e.name |
		some e in k8s.list_of(object.get(c, "env", []))
		is_string(e.name)
		maybe_credential(e)
		literal(e)
		credential(e)
	})
	count(names) > 0
	finding := {
		"key": w.key,
		"message": sprintf("%s sets %s to a literal value (not shown): anyone who can read the %s reads the credential", [
			k8s.container_label(c), concat(", ", names), w.kind,
		]),
		"discriminator": c.name,
	}
}

# maybe_credential(e): a cheap test that every credential(e) passes, so most
# variables (PORT, LOG_LEVEL) are dismissed before the regular expressions.
# Every credential word contains PASS, SECRET, TOKEN, KEY or CREDENTIAL, and
# normalize only inserts or substitutes "_" between ASCII letters and digits,
# so a word found in normalize(name) is in upper(name) too.
candidate(c) if {
	some e in c.env
	maybe_credential(e)
}

maybe_credential(e) if {
	n := upper(e.name)
	some s in ["PASS", "SECRET", "TOKEN", "KEY", "CREDENTIAL"]
	contains(n, s)
}

maybe_credential(e) if contains(e.value, "PRIVATE KEY")

# literal(e): a value that may be a credential. Empty values, booleans,
# references to other variables ($(VAR)) and values not known yet (a
# Pulumi preview) are not.
literal(e) if {
	is_string(e.value)
	v := trim_space(e.value)
	v != ""
	not lower(v) in {"true", "false", "yes", "no", "[unknown]"}
	not regex.match(`^(\$\([A-Za-z_][A-Za-z0-9_]*\))+$`, v)
}

# credential(e): the name says so, or the value is a PEM private key
# whatever the name.
credential(e) if credential_name(e.name)

credential(e) if regex.match(`BEGIN [A-Z0-9 ]*PRIVATE KEY`, e.value)

credential_words := ["PASSWORD", "PASSWD", "PASSPHRASE", "SECRET", "TOKEN", "API_KEY", "APIKEY", "ACCESS_KEY", "PRIVATE_KEY", "CREDENTIAL", "SIGNING_KEY", "ENCRYPTION_KEY", "MASTER_KEY", "AUTH_KEY", "CLIENT_KEY"]

# Names about a credential rather than holding one.
not_credential_suffixes := ["_FILE", "_PATH", "_DIR", "_NAME", "_URL", "_URI", "_ENDPOINT", "_HOST", "_PORT", "_TTL", "_TIMEOUT", "_EXPIRY", "_EXPIRATION", "_LENGTH", "_HEADER", "_ID", "_ENABLED", "_REQUIRED", "_TYPE", "_REF", "_MOUNT", "_LOCATION", "_KEY_ID", "_ALGORITHM", "_POLICY", "_AUDIENCE", "_ISSUER", "_SCOPE", "_SCOPES"]

# normalize("jwtSigningKey") and normalize("jwt-signing.key") are both
# "JWT_SIGNING_KEY".
normalize(name) := upper(regex.replace(regex.replace(name, `([a-z0-9])([A-Z])`, "${1}_${2}"), `[^A-Za-z0-9]+`, "_"))

credential_name(name) if {
	n := normalize(name)
	some w in credential_words
	contains(n, w)
	not about_credential(n)
}

# DB_PASS, SMTP_PASS, PASS
credential_name(name) if {
	n := normalize(name)
	regex.match(`(^|_)PASS$`, n)
}

about_credential(n) if {
	some s in not_credential_suffixes
	endswith(n, s)
}
