package kscan.rules.aws.internet_facing_lb_test

import data.kscan.rules.aws.internet_facing_lb as rule

lb(t, obj) := {"id": "urn:pulumi:dev::app::lb", "type": t, "object": obj}

test_alb_default_denied if {
	inp := kscan.graph([lb("aws:lb/LoadBalancer", {"name": "web", "loadBalancerType": "application"})])
	count(rule.deny) == 1 with input as inp
}

test_classic_elb_not_internal_denied if {
	inp := kscan.graph([lb("aws:elb/LoadBalancer", {"name": "legacy", "internal": false})])
	count(rule.deny) == 1 with input as inp
}

test_internal_allowed if {
	inp := kscan.graph([lb("aws:alb/LoadBalancer", {"name": "api", "internal": true})])
	count(rule.deny) == 0 with input as inp
}

test_unknown_allowed if {
	inp := kscan.graph([lb("aws:lb/LoadBalancer", {"name": "api", "internal": "[unknown]"})])
	count(rule.deny) == 0 with input as inp
}
