# METADATA
# title: Load balancer is internet-facing
# description: |
#   An aws:lb, aws:alb or aws:elb load balancer that is not internal gets a
#   public DNS name and accepts connections from the Internet. That is right
#   for a public entry point and wrong for anything else; this finding asks
#   for that decision to be deliberate.
# custom:
#   id: aws/internet-facing-lb
#   watch: ["aws:*"]
#   severity: medium
#   identity: resource
#   applies_to:
#     - "aws:lb/LoadBalancer"
#     - "aws:alb/LoadBalancer"
#     - "aws:elb/LoadBalancer"
#   no_framework: "CIS AWS Foundations v3.0.0 has no control for internet-facing load balancers (5.x covers security groups and NACLs), and the NSA/CISA guidance covers Kubernetes Services, not cloud load balancers."
#   remediation: |
#     Set internal: true unless the load balancer is meant to be public; for
#     public ones, restrict its security group to 80/443 and put a WAF in front.
#   scope: resource
package kscan.rules.aws.internet_facing_lb

import data.kscan.lib.k8s

types := {"aws:lb/LoadBalancer", "aws:alb/LoadBalancer", "aws:elb/LoadBalancer"}

# internal is absent (the AWS default is internet-facing) or false; an
# unknown value is not judged.
internet_facing(n) if not "internal" in object.keys(n.object)

internet_facing(n) if n.object.internal == false

name(n) := n.object.name if is_string(n.object.name)

name(n) := n.id if not is_string(n.object.name)

deny contains finding if {
	some t in types
	some n in k8s.nodes(t)
	internet_facing(n)
	finding := {
		"key": n.key,
		"message": sprintf("load balancer %q is internet-facing (internal is not true)", [name(n)]),
	}
}
