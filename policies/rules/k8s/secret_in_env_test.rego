package kscan.rules.k8s.secret_in_env_test

import data.kscan.rules.k8s.secret_in_env as rule

pod(env) := {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "namespace": "ns"}, "spec": {"containers": [{"name": "app", "image": "x", "env": env}]}}

test_literal_password_denied if {
	inp := kscan.graph([pod([{"name": "DB_PASSWORD", "value": "hunter2"}, {"name": "LOG_LEVEL", "value": "debug"}])])
	some f in rule.deny with input as inp
	f.key == "ns/Pod/p"
	f.discriminator == "app"
	contains(f.message, "DB_PASSWORD")
	not contains(f.message, "hunter2")
	not contains(f.message, "LOG_LEVEL")
}

test_names_denied if {
	every name in ["API_KEY", "github-token", "client.secret", "STRIPE_APIKEY", "AWS_SECRET_ACCESS_KEY", "SMTP_PASS", "jwtSigningKey", "TLS_PRIVATE_KEY", "GOOGLE_CREDENTIALS"] {
		count(rule.deny) == 1 with input as kscan.graph([pod([{"name": name, "value": "s3cr3t-value"}])])
	}
}

test_value_never_printed if {
	inp := kscan.graph([pod([{"name": "TOKEN", "value": "ghp_abcdefghijklmnop"}])])
	fs := rule.deny with input as inp
	count(fs) == 1
	every f in fs {
		not contains(f.message, "ghp_")
		not contains(f.discriminator, "ghp_")
	}
}

test_secret_ref_allowed if {
	inp := kscan.graph([pod([{"name": "DB_PASSWORD", "valueFrom": {"secretKeyRef": {"name": "db", "key": "password"}}}])])
	count(rule.deny) == 0 with input as inp
}

test_about_credentials_allowed if {
	every name in ["DB_PASSWORD_FILE", "TOKEN_URL", "AWS_ACCESS_KEY_ID", "SECRET_NAME", "VAULT_TOKEN_PATH", "OIDC_TOKEN_AUDIENCE", "PASSWORD_MIN_LENGTH", "PASSPORT"] {
		count(rule.deny) == 0 with input as kscan.graph([pod([{"name": name, "value": "/run/secrets/x"}])])
	}
}

test_non_credential_values_allowed if {
	every v in ["", "true", "False", "$(DB_PASSWORD_FROM_SECRET)"] {
		count(rule.deny) == 0 with input as kscan.graph([pod([{"name": "DB_PASSWORD", "value": v}])])
	}
}

test_private_key_value_denied if {
	inp := kscan.graph([pod([{"name": "the_good_stuff", "value": "-----BEGIN OPENSSH PRIVATE KEY-----\nxxxx\n-----END OPENSSH PRIVATE KEY-----\n"}])])
	some f in rule.deny with input as inp
	contains(f.message, "the_good_stuff")
	not contains(f.message, "OPENSSH")
}
