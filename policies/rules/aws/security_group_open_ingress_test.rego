package kscan.rules.aws.security_group_open_ingress_test

import data.kscan.rules.aws.security_group_open_ingress as rule

sg(ingress) := {"id": "urn:pulumi:dev::app::aws:ec2/securityGroup:SecurityGroup::web", "type": "aws:ec2/SecurityGroup", "object": {"ingress": ingress}}

test_ssh_from_world_denied if {
	inp := kscan.graph([sg([{"protocol": "tcp", "fromPort": 22, "toPort": 22, "cidrBlocks": ["0.0.0.0/0"]}])])
	some f in rule.deny with input as inp
	contains(f.message, "port 22/tcp")
}

test_all_traffic_ipv6_denied if {
	inp := kscan.graph([sg([{"protocol": "-1", "fromPort": 0, "toPort": 0, "ipv6CidrBlocks": ["::/0"]}])])
	count(rule.deny) == 1 with input as inp
}

test_port_range_including_443_denied if {
	inp := kscan.graph([sg([{"protocol": "tcp", "fromPort": 80, "toPort": 443, "cidrBlocks": ["0.0.0.0/0"]}])])
	count(rule.deny) == 1 with input as inp
}

test_rule_resource_denied if {
	inp := kscan.graph([{"id": "urn:pulumi:dev::app::aws:ec2/securityGroupRule:SecurityGroupRule::db", "type": "aws:ec2/SecurityGroupRule", "object": {"type": "ingress", "protocol": "tcp", "fromPort": 5432, "toPort": 5432, "cidrBlocks": ["0.0.0.0/0"]}}])
	count(rule.deny) == 1 with input as inp
}

test_vpc_ingress_rule_denied if {
	inp := kscan.graph([{"id": "urn:pulumi:dev::app::aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule::rdp", "type": "aws:vpc/SecurityGroupIngressRule", "object": {"ipProtocol": "tcp", "fromPort": 3389, "toPort": 3389, "cidrIpv4": "0.0.0.0/0"}}])
	count(rule.deny) == 1 with input as inp
}

test_https_from_world_allowed if {
	inp := kscan.graph([sg([
		{"protocol": "tcp", "fromPort": 443, "toPort": 443, "cidrBlocks": ["0.0.0.0/0"]},
		{"protocol": "tcp", "fromPort": 80, "toPort": 80, "ipv6CidrBlocks": ["::/0"]},
	])])
	count(rule.deny) == 0 with input as inp
}

test_ssh_from_office_allowed if {
	inp := kscan.graph([sg([{"protocol": "tcp", "fromPort": 22, "toPort": 22, "cidrBlocks": ["203.0.113.0/24"]}])])
	count(rule.deny) == 0 with input as inp
}

test_egress_rule_allowed if {
	inp := kscan.graph([{"id": "urn:pulumi:dev::app::aws:ec2/securityGroupRule:SecurityGroupRule::out", "type": "aws:ec2/SecurityGroupRule", "object": {"type": "egress", "protocol": "-1", "fromPort": 0, "toPort": 0, "cidrBlocks": ["0.0.0.0/0"]}}])
	count(rule.deny) == 0 with input as inp
}
