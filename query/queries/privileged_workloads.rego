# METADATA
# title: Privileged containers
# description: |
#   One row per container that runs privileged, adds a capability that
#   amounts to root on the node (SYS_ADMIN, NET_ADMIN, SYS_PTRACE, SYS_MODULE,
#   BPF, ALL), or whose pod shares the node's network, PID or IPC namespace,
#   with the reasons and the strictest Pod Security Standards level the
#   workload meets (judged by Kubernetes' own checks, pss/).
# custom:
#   name: privileged-workloads
#   watch: namespace
#   watch_key: workload
#   columns: [workload, container, reasons, pss_level]
package kscan.queries.privileged_workloads

import data.kscan

root_caps := {"SYS_ADMIN", "NET_ADMIN", "SYS_PTRACE", "SYS_MODULE", "BPF", "ALL"}

# A pod that shares a host namespace makes a row of every container; in
# any other pod only a container with a securityContext that privileges
# or adds capabilities can, which most do not: they are dismissed on two
# lookups, and the reasons are worked out only for the rest.
result contains row(w, c, array.concat(pod, container_reasons(c))) if {
	some w in kscan.workloads
	shares_host(w)
	pod := pod_reasons(w)
	some c in kscan.containers(w)
}

result contains row(w, c, reasons) if {
	some w in kscan.workloads
	not shares_host(w)
	some c in kscan.containers(w)
	may_privilege(c.securityContext)
	reasons := container_reasons(c)
	count(reasons) > 0
}

row(w, c, reasons) := {
	"workload": w.id,
	"container": c.name,
	"reasons": reasons,
	"pss_level": kscan.pss_level(w),
}

shares_host(w) if w.pod_spec.hostNetwork == true

shares_host(w) if w.pod_spec.hostPID == true

shares_host(w) if w.pod_spec.hostIPC == true

may_privilege(sc) if sc.privileged == true

may_privilege(sc) if sc.capabilities.add

pod_reasons(w) := [sprintf("%s: true", [f]) | some f in ["hostNetwork", "hostPID", "hostIPC"]; object.get(w.pod_spec, f, false) == true]

# container_reasons(c): cheap when the container has no securityContext
# settings of interest, which is most of them.
container_reasons(c) := array.concat(privileged(c), capabilities(c))

privileged(c) := ["privileged: true"] if {
	c.securityContext.privileged == true
} else := []

capabilities(c) := [sprintf("capability %s", [cap]) |
	some cap in sort({upper(x) | some x in c.securityContext.capabilities.add})
	trim_prefix(cap, "CAP_") in root_caps
] if {
	c.securityContext.capabilities.add
} else := []
