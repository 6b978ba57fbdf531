package kscan.rules.pulumi.unmanaged_test

import data.kscan.rules.pulumi.unmanaged as rule

cm(name, labels) := {"id": sprintf("shop/ConfigMap/%s", [name]), "type": "k8s:core/ConfigMap", "source": {"kind": "cluster"}, "object": {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name, "namespace": "shop", "labels": labels}}}

stack_cm(name) := {"id": sprintf("urn:pulumi:prod::shop::kubernetes:core/v1:ConfigMap::%s", [name]), "type": "k8s:core/ConfigMap", "source": {"kind": "pulumi-state"}, "attrs": {"k8s_id": sprintf("shop/ConfigMap/%s", [name])}, "object": {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name, "namespace": "shop"}}}

pulumi_label := {"app.kubernetes.io/managed-by": "pulumi"}

test_leftover_denied if {
	inp := kscan.graph([stack_cm("settings"), cm("settings", pulumi_label), cm("old-settings", pulumi_label)])
	some f in rule.deny with input as inp
	f.message == "shop/ConfigMap/old-settings is labelled app.kubernetes.io/managed-by=pulumi but no scanned stack declares it"
	count(rule.deny) == 1 with input as inp
}

test_declared_allowed if {
	inp := kscan.graph([stack_cm("settings"), cm("settings", pulumi_label)])
	count(rule.deny) == 0 with input as inp
}

test_other_manager_allowed if {
	inp := kscan.graph([stack_cm("settings"), cm("helm-made", {"app.kubernetes.io/managed-by": "Helm"})])
	count(rule.deny) == 0 with input as inp
}

test_no_stack_scanned_allowed if {
	inp := kscan.graph([cm("old-settings", pulumi_label)])
	count(rule.deny) == 0 with input as inp
}
