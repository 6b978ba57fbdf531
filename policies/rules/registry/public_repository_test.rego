package kscan.rules.registry.public_repository_test

import data.kscan.rules.registry.public_repository as rule

repo(stmt) := {"id": "123456789012.dkr.ecr.eu-west-1.amazonaws.com/shop/api", "type": "registry:Repository", "object": {"provider": "ecr", "name": "shop/api"}, "attrs": {"policy_document": {"Version": "2012-10-17", "Statement": [stmt]}}}

test_star_principal_denied if {
	inp := kscan.graph([repo({"Sid": "pull", "Effect": "Allow", "Principal": "*", "Action": ["ecr:BatchGetImage"]})])
	some f in rule.deny with input as inp
	f.discriminator == "pull"
	contains(f.message, "ecr:BatchGetImage")
}

test_star_aws_principal_denied if {
	inp := kscan.graph([repo({"Effect": "Allow", "Principal": {"AWS": ["*"]}, "Action": "ecr:*"})])
	count(rule.deny) == 1 with input as inp
}

test_pulumi_repository_policy_denied if {
	r := {"id": "urn:pulumi:dev::app::aws:ecr/repository:Repository::api", "type": "registry:Repository", "object": {"provider": "ecr", "name": "shop/api"}}
	p := {"id": "urn:pulumi:dev::app::aws:ecr/repositoryPolicy:RepositoryPolicy::api", "type": "aws:ecr/RepositoryPolicy", "object": {"repository": "shop/api"}, "attrs": {"policy_document": {"Statement": {"Effect": "Allow", "Principal": "*", "Action": "ecr:*"}}}}
	inp := kscan.graph([r, p])
	count(rule.deny) == 1 with input as inp
}

test_condition_allowed if {
	inp := kscan.graph([repo({"Effect": "Allow", "Principal": "*", "Action": "ecr:BatchGetImage", "Condition": {"StringEquals": {"aws:PrincipalOrgID": "o-abc"}}})])
	count(rule.deny) == 0 with input as inp
}

test_account_principal_allowed if {
	inp := kscan.graph([repo({"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::210987654321:root"}, "Action": "ecr:BatchGetImage"})])
	count(rule.deny) == 0 with input as inp
}

test_deny_statement_allowed if {
	inp := kscan.graph([repo({"Effect": "Deny", "Principal": "*", "Action": "ecr:DeleteRepository"})])
	count(rule.deny) == 0 with input as inp
}
