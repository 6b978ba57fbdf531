// Package pss judges workloads against the Pod Security Standards with
// Kubernetes' own implementation (k8s.io/pod-security-admission/policy), so
// kscan's verdict is the one the API server's Pod Security admission gives.
// It runs once per workload in Go and hands the results to Rego as facts
// (input.facts.pss): per workload the controls it fails at each level, and
// the workloads their namespace's enforce label would reject.
package pss

import (
	"fmt"
	"slices"
	"strings"
	"sync"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/pod-security-admission/api"
	"k8s.io/pod-security-admission/policy"

	"github.com/kscan-io/kscan/graph"
)

// Namespace labels of Pod Security admission.
const (
	EnforceLabel = api.EnforceLevelLabel
	AuditLabel   = api.AuditLevelLabel
	WarnLabel    = api.WarnLevelLabel
)

// Latest is the version name meaning the newest the library knows.
const Latest = api.VersionLatest

// checkControls names each check of the library by the control of the
// standard it implements, as the framework catalogues list them
// (policies/frameworks/pss-*.yaml). A check the library adds later and this
// table lacks is named "<level>:<check id>" (and a test fails).
var checkControls = map[policy.CheckID]string{
	"windowsHostProcess":         "baseline:hostProcess",
	"hostNamespaces":             "baseline:hostNamespaces",
	"privileged":                 "baseline:privileged",
	"capabilities_baseline":      "baseline:capabilities",
	"hostPathVolumes":            "baseline:hostPathVolumes",
	"hostPorts":                  "baseline:hostPorts",
	"appArmorProfile":            "baseline:appArmor",
	"seLinuxOptions":             "baseline:seLinux",
	"procMount":                  "baseline:procMount",
	"seccompProfile_baseline":    "baseline:seccomp",
	"sysctls":                    "baseline:sysctls",
	"hostProbesAndHostLifecycle": "baseline:hostProbes",
	"restrictedVolumes":          "restricted:volumeTypes",
	"allowPrivilegeEscalation":   "restricted:allowPrivilegeEscalation",
	"runAsNonRoot":               "restricted:runAsNonRoot",
	"runAsUser":                  "restricted:runAsUser",
	"seccompProfile_restricted":  "restricted:seccomp",
	"capabilities_restricted":    "restricted:capabilities",
	"procMount_restricted":       "restricted:procMount",
}

// Control returns the control a library check implements.
func Control(c policy.Check) string {
	if id, ok := checkControls[c.ID]; ok {
		return id
	}
	return string(c.Level) + ":" + string(c.ID)
}

// Evaluator evaluates pods at any level and version. It holds the library's
// checks and its own evaluator; build it once per scan.
type Evaluator struct {
	checks []policy.Check
	lib    policy.Evaluator
	max    api.Version
	plans  sync.Map // api.Version -> *plan
}

// NewEvaluator loads the library's default checks.
func NewEvaluator() (*Evaluator, error) {
	checks := policy.DefaultChecks()
	lib, err := policy.NewEvaluator(checks, nil)
	if err != nil {
		return nil, fmt.Errorf("pod security checks: %w", err)
	}
	e := &Evaluator{checks: checks, lib: lib}
	for _, c := range checks {
		if v := c.Versions[len(c.Versions)-1].MinimumVersion; e.max.Older(v) {
			e.max = v
		}
	}
	return e, nil
}

// MaxVersion is the newest policy version the library defines: what
// "latest" means.
func (e *Evaluator) MaxVersion() api.Version { return e.max }

// Versions lists the versions kscan offers: "latest" and every minor version
// from v1.0 to the newest the library defines.
func (e *Evaluator) Versions() []string {
	out := []string{Latest}
	for m := 0; m <= e.max.Minor(); m++ {
		out = append(out, api.MajorMinorVersion(1, m).String())
	}
	return out
}

// Resolve parses a version name ("latest", "v1.30") into the version that is
// evaluated: "latest", and versions newer than the library's, mean its
// newest, as in Pod Security admission.
func (e *Evaluator) Resolve(name string) (api.Version, error) {
	if name == "" {
		name = Latest
	}
	v, err := api.ParseVersion(name)
	if err != nil {
		return api.Version{}, fmt.Errorf("pod security version %q: want latest or v1.<minor> (v1.0 to %s)", name, e.max)
	}
	return e.clamp(v), nil
}

func (e *Evaluator) clamp(v api.Version) api.Version {
	if v.Latest() || e.max.Older(v) {
		return e.max
	}
	return v
}

// Failure is one failed check: the control, and the reason and detail
// Kubernetes prints.
type Failure struct {
	Control string
	Check   string
	Reason  string
	Detail  string
}

// Message is the failure as Pod Security admission prints it.
func (f Failure) Message() string {
	if f.Detail == "" {
		return f.Reason
	}
	return f.Reason + " (" + f.Detail + ")"
}

// Result is a pod judged at one version: the failed checks at each level.
type Result struct {
	Version    api.Version
	Baseline   []Failure
	Restricted []Failure
}

// Failed returns the failures at a level (none for privileged).
func (r Result) Failed(l api.Level) []Failure {
	switch l {
	case api.LevelBaseline:
		return r.Baseline
	case api.LevelRestricted:
		return r.Restricted
	}
	return nil
}

// Evaluate runs every check that applies at version v once and sorts the
// failures into levels exactly as the library's registry does: baseline
// checks, and at restricted the restricted checks plus the baseline checks
// no applicable restricted check overrides. Failures are in the library's
// order (baseline check ids sorted, then restricted ones).
func (e *Evaluator) Evaluate(v api.Version, meta *corev1.PodTemplateSpec) Result {
	v = e.clamp(v)
	p := e.plan(v)
	res := Result{Version: v}
	for _, c := range p.baseline {
		out := c.vc.CheckPod(&meta.ObjectMeta, &meta.Spec)
		if out.Allowed {
			continue
		}
		f := c.failure(out)
		res.Baseline = append(res.Baseline, f)
		if !c.overridden {
			res.Restricted = append(res.Restricted, f)
		}
	}
	for _, c := range p.restricted {
		if out := c.vc.CheckPod(&meta.ObjectMeta, &meta.Spec); !out.Allowed {
			res.Restricted = append(res.Restricted, c.failure(out))
		}
	}
	return res
}

// plan is what Evaluate runs at one version: the applicable revision of
// each check, sorted by check id within each level, and whether an
// applicable restricted check overrides a baseline one. It depends only on
// the version, so it is worked out once per version, not once per pod.
type plan struct {
	baseline, restricted []planned
}

type planned struct {
	check      policy.Check
	control    string
	vc         policy.VersionedCheck
	overridden bool
}

func (c planned) failure(out policy.CheckResult) Failure {
	reason := out.ForbiddenReason
	if reason == "" {
		reason = policy.UnknownForbiddenReason
	}
	return Failure{Control: c.control, Check: string(c.check.ID), Reason: reason, Detail: out.ForbiddenDetail}
}

func (e *Evaluator) plan(v api.Version) *plan {
	if p, ok := e.plans.Load(v); ok {
		return p.(*plan)
	}
	p := &plan{}
	overridden := map[policy.CheckID]bool{}
	for _, c := range e.checks {
		vc, ok := applicable(c, v)
		if !ok {
			continue
		}
		pc := planned{check: c, control: Control(c), vc: vc}
		if c.Level == api.LevelBaseline {
			p.baseline = append(p.baseline, pc)
		} else {
			p.restricted = append(p.restricted, pc)
			for _, o := range vc.OverrideCheckIDs {
				overridden[o] = true
			}
		}
	}
	byID := func(a, b planned) int { return strings.Compare(string(a.check.ID), string(b.check.ID)) }
	slices.SortFunc(p.baseline, byID)
	slices.SortFunc(p.restricted, byID)
	for i := range p.baseline {
		p.baseline[i].overridden = overridden[p.baseline[i].check.ID]
	}
	got, _ := e.plans.LoadOrStore(v, p)
	return got.(*plan)
}

// Library evaluates with the library's own evaluator and aggregates as Pod
// Security admission does: whether the pod is allowed and the message the
// API server prints after `violates PodSecurity "<level>:<version>": `.
func (e *Evaluator) Library(lv api.LevelVersion, t *corev1.PodTemplateSpec) (allowed bool, message string) {
	agg := policy.AggregateCheckResults(e.lib.EvaluatePod(lv, &t.ObjectMeta, &t.Spec))
	return agg.Allowed, agg.ForbiddenDetail()
}

// applicable returns the revision of c in force at version v: the one with
// the newest minimum version not after v.
func applicable(c policy.Check, v api.Version) (policy.VersionedCheck, bool) {
	var out policy.VersionedCheck
	found := false
	for _, vc := range c.Versions {
		if v.Older(vc.MinimumVersion) {
			break
		}
		out, found = vc, true
	}
	return out, found
}

// Template converts the pod template of a workload object (any kind the
// admission library's PodSpecExtractor knows, as kscan reads it) to the
// typed form the checks take. ok is false when the object has no pod spec.
func Template(obj map[string]any) (t *corev1.PodTemplateSpec, ok bool, err error) {
	meta, spec, _ := graph.PodTemplate(obj)
	if spec == nil {
		return nil, false, nil
	}
	if kind, _ := obj["kind"].(string); kind == "Pod" {
		meta, _ = obj["metadata"].(map[string]any)
	}
	// The converter only reads its input: a template without unknown
	// values (all but some Pulumi previews) is converted without a copy.
	known := func(v any) any {
		if hasUnknown(v) {
			return withoutUnknown(v)
		}
		return v
	}
	u := map[string]any{"spec": known(spec)}
	if meta != nil {
		// Only what the checks read: labels and annotations (the AppArmor
		// and seccomp annotations of old versions).
		m := map[string]any{}
		for _, k := range []string{"name", "labels", "annotations"} {
			if v, ok := meta[k]; ok {
				m[k] = known(v)
			}
		}
		u["metadata"] = m
	}
	t = &corev1.PodTemplateSpec{}
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(u, t); err != nil {
		return nil, true, fmt.Errorf("pod template is not a valid pod spec: %v", err)
	}
	// The API server's defaulting that the checks see: a volume without a
	// source is an emptyDir (SetDefaults_Volume).
	for i := range t.Spec.Volumes {
		if t.Spec.Volumes[i].VolumeSource == (corev1.VolumeSource{}) {
			t.Spec.Volumes[i].VolumeSource.EmptyDir = &corev1.EmptyDirVolumeSource{}
		}
	}
	return t, true, nil
}

// withoutUnknown copies v without values not known yet (computed outputs in
// a Pulumi preview, "[unknown]"): they are judged as unset, which is all a
// preview can know.
func withoutUnknown(v any) any {
	switch t := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(t))
		for k, e := range t {
			if s, ok := e.(string); ok && s == unknownValue {
				continue
			}
			out[k] = withoutUnknown(e)
		}
		return out
	case []any:
		out := make([]any, 0, len(t))
		for _, e := range t {
			if s, ok := e.(string); ok && s == unknownValue {
				continue
			}
			out = append(out, withoutUnknown(e))
		}
		return out
	}
	return v
}

// hasUnknown reports whether v holds an unknown value anywhere.
func hasUnknown(v any) bool {
	switch t := v.(type) {
	case string:
		return t == unknownValue
	case map[string]any:
		for _, e := range t {
			if hasUnknown(e) {
				return true
			}
		}
	case []any:
		for _, e := range t {
			if hasUnknown(e) {
				return true
			}
		}
	}
	return false
}

// unknownValue is the marker collectors write for a value not known yet.
const unknownValue = graph.UnknownMarker
