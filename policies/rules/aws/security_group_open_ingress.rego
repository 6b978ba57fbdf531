# METADATA
# title: Security group allows ingress from the whole Internet
# description: |
#   A security group rule that accepts 0.0.0.0/0 or ::/0 exposes every port in
#   its range to the Internet. Only HTTP (80) and HTTPS (443) are expected to
#   be public; SSH, databases and admin ports must be reached through a VPN,
#   bastion or load balancer. Inline ingress blocks of aws:ec2/SecurityGroup,
#   aws:ec2/SecurityGroupRule (type ingress) and
#   aws:vpc/SecurityGroupIngressRule resources are checked.
# custom:
#   id: aws/security-group-open-ingress
#   watch: ["aws:*"]
#   severity: high
#   identity: resource + ingress rule index and CIDR
#   applies_to:
#     - "aws:ec2/SecurityGroup"
#     - "aws:ec2/SecurityGroupRule"
#     - "aws:vpc/SecurityGroupIngressRule"
#   remediation: |
#     Restrict the CIDR to known networks, or put the service behind a load
#     balancer that alone listens on 80/443.
#   frameworks:
#     cis-aws: ["5.2", "5.3"]
#   scope: resource
package kscan.rules.aws.security_group_open_ingress

import data.kscan.lib.k8s

world := {"0.0.0.0/0", "::/0"}

# Inline ingress blocks of a security group.
rules_of(n) := k8s.list_of(object.get(n.object, "ingress", [])) if n.type == "aws:ec2/SecurityGroup"

# A standalone rule resource is one rule.
rules_of(n) := [n.object] if {
	n.type == "aws:ec2/SecurityGroupRule"
	n.object.type == "ingress"
}

rules_of(n) := [n.object] if n.type == "aws:vpc/SecurityGroupIngressRule"

types := {"aws:ec2/SecurityGroup", "aws:ec2/SecurityGroupRule", "aws:vpc/SecurityGroupIngressRule"}

cidrs(r) := {c |
	some f in ["cidrBlocks", "ipv6CidrBlocks"]
	some c in k8s.list_of(object.get(r, f, []))
} | {c |
	some f in ["cidrIpv4", "cidrIpv6"]
	c := r[f]
	is_string(c)
}

protocol(r) := p if {
	p := lower(sprintf("%v", [object.get(r, "protocol", object.get(r, "ipProtocol", "-1"))]))
}

all_ports(r) if protocol(r) in {"-1", "all"}

# Only a single-port rule for 80 or 443 is acceptable.
web_only(r) if {
	not all_ports(r)
	r.fromPort == r.toPort
	r.fromPort in {80, 443}
}

ports(r) := "all ports" if all_ports(r)

ports(r) := sprintf("port %v/%s", [r.fromPort, protocol(r)]) if {
	not all_ports(r)
	r.fromPort == r.toPort
}

ports(r) := sprintf("ports %v-%v/%s", [r.fromPort, r.toPort, protocol(r)]) if {
	not all_ports(r)
	r.fromPort != r.toPort
}

deny contains finding if {
	some t in types
	some n in k8s.nodes(t)
	some i, r in rules_of(n)
	some c in cidrs(r)
	c in world
	not web_only(r)
	finding := {
		"key": n.key,
		"message": sprintf("ingress rule %d allows %s from %s", [i, ports(r), c]),
		"discriminator": sprintf("%d/%s", [i, c]),
	}
}
