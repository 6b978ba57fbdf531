package kscan.rules.pulumi.plaintext_secret_test

import data.kscan.rules.pulumi.plaintext_secret as rule

db(attrs) := {"id": "urn:pulumi:dev::shop::aws:rds/instance:Instance::db", "type": "aws:rds/Instance", "object": {"username": "app", "password": "[redacted]"}, "attrs": {"pulumi": attrs}}

test_plain_password_denied if {
	inp := kscan.graph([db({"urn": "urn:pulumi:dev::shop::aws:rds/instance:Instance::db", "plaintext_secrets": ["inputs.password"]})])
	some f in rule.deny with input as inp
	f.message == "input \"password\" holds a plain value where a secret is expected; make it a Pulumi secret"
}

test_two_paths_denied if {
	inp := kscan.graph([db({"plaintext_secrets": ["inputs.password", "outputs.connectionString"]})])
	count(rule.deny) == 2 with input as inp
}

test_secret_value_allowed if {
	inp := kscan.graph([db({"secret_paths": ["inputs.password"]})])
	count(rule.deny) == 0 with input as inp
}

test_non_pulumi_node_allowed if {
	inp := kscan.graph([{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}, "data": {"password": "x"}}])
	count(rule.deny) == 0 with input as inp
}
