package kscan.rules.k8s.seccomp_unconfined_test

import data.kscan.rules.k8s.seccomp_unconfined as rule

pod(annotations, pod_sc, containers) := {
	"apiVersion": "v1", "kind": "Pod",
	"metadata": {"name": "p", "namespace": "ns", "annotations": annotations},
	"spec": {"securityContext": pod_sc, "containers": containers},
}

app := {"name": "app", "image": "x"}

with_profile(c, t) := object.union(c, {"securityContext": {"seccompProfile": {"type": t}}})

test_no_profile_denied if {
	inp := kscan.graph([pod({}, {}, [app])])
	some f in rule.deny with input as inp
	f.key == "ns/Pod/p"
	f.discriminator == "app"
}

test_pod_unconfined_denied if {
	inp := kscan.graph([pod({}, {"seccompProfile": {"type": "Unconfined"}}, [app])])
	{f.discriminator | some f in rule.deny} == {"pod"} with input as inp
}

test_container_unconfined_overrides_pod_denied if {
	inp := kscan.graph([pod({}, {"seccompProfile": {"type": "RuntimeDefault"}}, [with_profile(app, "Unconfined")])])
	some f in rule.deny with input as inp
	contains(f.message, "Unconfined")
}

test_unconfined_pod_even_when_container_sets_default_denied if {
	inp := kscan.graph([pod({}, {"seccompProfile": {"type": "Unconfined"}}, [with_profile(app, "RuntimeDefault")])])
	count(rule.deny) == 1 with input as inp
}

test_legacy_unconfined_annotation_denied if {
	inp := kscan.graph([pod({"seccomp.security.alpha.kubernetes.io/pod": "unconfined"}, {}, [app])])
	count(rule.deny) == 1 with input as inp
}

test_profile_without_type_denied if {
	inp := kscan.graph([pod({}, {"seccompProfile": null}, [app])])
	count(rule.deny) == 1 with input as inp
}

test_only_unprotected_container_denied if {
	inp := kscan.graph([pod({}, {}, [with_profile(app, "RuntimeDefault"), {"name": "side", "image": "y"}])])
	{f.discriminator | some f in rule.deny} == {"side"} with input as inp
}

test_pod_runtime_default_allowed if {
	inp := kscan.graph([pod({}, {"seccompProfile": {"type": "RuntimeDefault"}}, [app, {"name": "side", "image": "y"}])])
	count(rule.deny) == 0 with input as inp
}

test_container_localhost_allowed if {
	c := object.union(app, {"securityContext": {"seccompProfile": {"type": "Localhost", "localhostProfile": "profiles/app.json"}}})
	inp := kscan.graph([pod({}, {}, [c])])
	count(rule.deny) == 0 with input as inp
}

test_legacy_runtime_default_annotation_allowed if {
	inp := kscan.graph([pod({"seccomp.security.alpha.kubernetes.io/pod": "runtime/default"}, {}, [app])])
	count(rule.deny) == 0 with input as inp
}

test_legacy_container_annotation_allowed if {
	inp := kscan.graph([pod({"container.seccomp.security.alpha.kubernetes.io/app": "docker/default"}, {}, [app])])
	count(rule.deny) == 0 with input as inp
}
