# METADATA
# title: Container runs without a seccomp profile
# description: |
#   Seccomp filters the system calls a container may make; the runtime's
#   default profile blocks the few hundred that containers never need and that
#   most kernel exploits use. Kubernetes runs pods Unconfined unless a profile
#   is set, so it has to be asked for: RuntimeDefault or Localhost, on the pod
#   or the container (or the legacy seccomp.security.alpha.kubernetes.io
#   annotations). An explicit Unconfined anywhere is reported too.
#   It is a kscan hardening rule (it also reads the legacy annotations at
#   every version), not a Pod Security control: those are k8s/pss-seccomp
#   (baseline) and k8s/pss-seccomp-restricted.
# custom:
#   id: k8s/seccomp-unconfined
#   watch: namespace
#   severity: low
#   identity: resource + container (pod for the pod-level profile)
#   applies_to:
#     - "workloads"
#   remediation: |
#     Set spec.securityContext.seccompProfile.type: RuntimeDefault on the pod
#     (or Localhost with a reviewed profile), and remove any Unconfined profile.
#   frameworks:
#     cis: ["5.7.2"]
#     nsa: ["Kubernetes Pod security: Hardening container environments"]
package kscan.rules.k8s.seccomp_unconfined

import data.kscan.lib.k8s

legacy_pod := "seccomp.security.alpha.kubernetes.io/pod"

legacy_container_prefix := "container.seccomp.security.alpha.kubernetes.io/"

# The pod itself is Unconfined.
deny contains finding if {
	some w in k8s.workloads
	pod_profile(w) == "Unconfined"
	finding := {
		"key": w.key,
		"message": sprintf("%s sets the seccomp profile Unconfined for the pod", [k8s.workload_label(w)]),
		"discriminator": "pod",
	}
}

# The pod-level profile and annotations are looked up once per workload, not
# once per container.
#
# Most pods set RuntimeDefault or Localhost, and no container sets its own
# profile or has a legacy annotation: such a workload is dismissed in one
# call.
deny contains finding if {
	some w in k8s.workloads
	not plain(w)
	pod := pod_profile_or_none(w)
	annotations := k8s.annotations(w.pod_meta)
	some c in w.containers
	reason := container_reason(pod, annotations, c)
	finding := {
		"key": w.key,
		"message": sprintf("%s %s", [k8s.container_label(c), reason]),
		"discriminator": c.name,
	}
}

confined := {"RuntimeDefault", "Localhost"}

# plain(w): nothing to report. The pod's profile is confined, so the pod
# rule and container_reason's second case cannot hold, and no container can
# be Unconfined.
plain(w) if {
	w.pod_spec.securityContext.seccompProfile.type in confined
	not container_annotation(k8s.annotations(w.pod_meta))
	not container_profile_set(w)
}

container_profile_set(w) if {
	some c in w.containers
	c.securityContext.seccompProfile
}

container_annotation(annotations) if {
	some k, _ in annotations
	startswith(k, legacy_container_prefix)
}

container_reason(pod, annotations, c) := "sets the seccomp profile Unconfined" if {
	container_profile(annotations, c) == "Unconfined"
} else := "runs without a seccomp profile (no RuntimeDefault or Localhost on the pod or the container)" if {
	not container_confined(annotations, c)
	not pod in {"RuntimeDefault", "Localhost", "Unconfined"}
}

container_confined(annotations, c) if container_profile(annotations, c) in confined

# pod_profile(w): the pod-level profile type, from securityContext or else
# from the legacy annotation; undefined when neither sets one.
pod_profile(w) := t if {
	t := w.pod_spec.securityContext.seccompProfile.type
	is_string(t)
} else := legacy_type(k8s.annotations(w.pod_meta)[legacy_pod])

pod_profile_or_none(w) := t if t := pod_profile(w)

else := ""

container_profile(annotations, c) := t if {
	t := c.securityContext.seccompProfile.type
	is_string(t)
} else := legacy_type(annotations[concat("", [legacy_container_prefix, c.name])])

# Legacy annotation values: runtime/default, docker/default, localhost/<file>, unconfined.
legacy_type(v) := "RuntimeDefault" if v in {"runtime/default", "docker/default"}

legacy_type(v) := "Localhost" if {
	is_string(v)
	startswith(v, "localhost/")
}

legacy_type("unconfined") := "Unconfined"
