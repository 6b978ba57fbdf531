# Pod Security Standards verdicts, computed in Go once per workload with
# Kubernetes' own checks (k8s.io/pod-security-admission, package pss) and
# handed over as input.facts.pss. Rules for a Pod Security control read their
# verdict here, so a rule and the control it implements cannot disagree.
package kscan.lib.pss

import data.kscan.lib.k8s

# The version judged ("v1.37") and the one asked for (--pss-version).
version := input.facts.pss.version

requested := input.facts.pss.requested

# failures(control): [workload, failure] for each workload, as
# k8s.workloads lists them, that fails control ("baseline:privileged") at the
# control's level. A failure has check, reason, detail and message (the
# reason and detail as Pod Security admission prints them).
failures(control) := [[w, f] |
	level := split(control, ":")[0]
	some key, r in object.get(input.facts, ["pss", "workloads"], {})
	f := r[level][control]
	w := k8s.workload_index[key]
]

# message(w, f): the finding message for a failed check.
message(w, f) := sprintf("%s: %s (Pod Security Standards %s)", [k8s.workload_label(w), f.message, version])

# violations: [workload, violation] for each workload that its namespace's
# pod-security.kubernetes.io/enforce label rejects; a violation has
# namespace, level, version (as labelled), evaluated, controls and message.
violations := [[w, v] |
	some key, v in object.get(input.facts, ["pss", "violations"], {})
	w := k8s.workload_index[key]
]
