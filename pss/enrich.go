package pss

import (
	"fmt"
	"runtime"
	"sync"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/pod-security-admission/api"

	"github.com/kscan-io/kscan/graph"
)

// Options selects the version of the standard workloads are judged at.
type Options struct {
	// Version is "latest" (the default) or "v1.<minor>".
	Version string
}

// Enrich judges every workload of g (every kind with a pod template) at
// both levels of the requested version, and against its namespace's
// enforce label, and returns the facts rules read as input.facts.pss:
//
//	version:    the version evaluated ("v1.37"); requested: as asked ("latest")
//	workloads:  {key: {baseline: {control: {check, reason, detail}}, restricted: {...}}}
//	            (only workloads failing a check; absent means allowed at both levels)
//	errors:     {key: message} for pod templates the checks cannot read
//	violations: {key: {namespace, level, version, message}}: rejected by the enforce label
//
// A workload whose template cannot be read is also reported as an input
// warning on g.
func Enrich(g *graph.Graph, opts Options) (map[string]any, error) {
	e, err := shared()
	if err != nil {
		return nil, err
	}
	v, err := e.Resolve(opts.Version)
	if err != nil {
		return nil, err
	}
	requested := opts.Version
	if requested == "" {
		requested = Latest
	}
	nodes := g.Nodes()
	namespaces := namespacePolicies(nodes)
	var work []*graph.Node
	for _, n := range nodes {
		if !graph.IsK8s(n) || n.Source.Kind == graph.SourceDerived {
			continue
		}
		if kind, _, _ := graph.K8sMeta(n); graph.WorkloadKinds[kind] {
			work = append(work, n)
		}
	}
	type out struct {
		ok        bool
		err       error
		result    Result
		violation map[string]any
	}
	results := make([]out, len(work))
	parallel(len(work), func(i int) {
		n := work[i]
		t, ok, err := Template(n.Object)
		if !ok || err != nil {
			results[i] = out{ok: ok, err: err}
			return
		}
		o := out{ok: true, result: e.Evaluate(v, t)}
		_, ns, _ := graph.K8sMeta(n)
		if p, ok := namespaces[nsKey{n.Source.Cluster, ns}]; ok && p.Enforce.Level != api.LevelPrivileged {
			o.violation = e.violation(p, v, o.result, t, ns)
		}
		results[i] = o
	})
	workloads := map[string]any{}
	errs := map[string]any{}
	violations := map[string]any{}
	for i, n := range work {
		r := results[i]
		switch {
		case !r.ok:
			continue
		case r.err != nil:
			errs[n.Key] = r.err.Error()
			g.AddError(graph.InputError{Level: graph.LevelWarning, Source: n.Source, Resource: n.ID,
				Message: "Pod Security Standards: " + r.err.Error()})
			continue
		}
		if len(r.result.Baseline)+len(r.result.Restricted) > 0 {
			workloads[n.Key] = map[string]any{
				"baseline":   failureMap(r.result.Baseline),
				"restricted": failureMap(r.result.Restricted),
			}
		}
		if r.violation != nil {
			violations[n.Key] = r.violation
		}
	}
	return map[string]any{
		"version":    v.String(),
		"requested":  requested,
		"workloads":  workloads,
		"errors":     errs,
		"violations": violations,
	}, nil
}

// violation judges a pod at its namespace's enforce level and version;
// nil when admitted. The message is Pod Security admission's own.
func (e *Evaluator) violation(p api.Policy, scanned api.Version, r Result, t *corev1.PodTemplateSpec, ns string) map[string]any {
	lv := p.Enforce
	ver := e.clamp(lv.Version)
	if ver != scanned {
		r = e.Evaluate(ver, t)
	}
	failed := r.Failed(lv.Level)
	if len(failed) == 0 {
		return nil
	}
	controls := make([]any, 0, len(failed))
	for _, f := range failed {
		controls = append(controls, f.Control)
	}
	return map[string]any{
		"namespace": ns,
		"level":     string(lv.Level),
		"version":   lv.Version.String(), // as labelled ("latest" stays latest)
		"evaluated": ver.String(),
		"controls":  controls,
		"message":   fmt.Sprintf("violates PodSecurity %q: %s", lv.String(), aggregate(failed)),
	}
}

// aggregate joins failures as policy.AggregateCheckResult.ForbiddenDetail.
func aggregate(fs []Failure) string {
	s := ""
	for i, f := range fs {
		if i > 0 {
			s += ", "
		}
		s += f.Message()
	}
	return s
}

func failureMap(fs []Failure) map[string]any {
	m := make(map[string]any, len(fs))
	for _, f := range fs {
		m[f.Control] = map[string]any{"check": f.Check, "reason": f.Reason, "detail": f.Detail, "message": f.Message()}
	}
	return m
}

type nsKey struct{ cluster, name string }

// namespacePolicies reads the Pod Security labels of every Namespace object
// in the graph (from files, clusters or Pulumi state; derived ones have no
// labels to read) as the admission plugin does: absent labels mean
// privileged, an invalid level means restricted.
func namespacePolicies(nodes []*graph.Node) map[nsKey]api.Policy {
	out := map[nsKey]api.Policy{}
	defaults := api.Policy{
		Enforce: api.LevelVersion{Level: api.LevelPrivileged, Version: api.LatestVersion()},
		Audit:   api.LevelVersion{Level: api.LevelPrivileged, Version: api.LatestVersion()},
		Warn:    api.LevelVersion{Level: api.LevelPrivileged, Version: api.LatestVersion()},
	}
	for _, n := range nodes {
		if !graph.IsK8s(n) || n.Source.Kind == graph.SourceDerived {
			continue
		}
		kind, _, name := graph.K8sMeta(n)
		if kind != "Namespace" {
			continue
		}
		meta, _ := n.Object["metadata"].(map[string]any)
		p, _ := api.PolicyToEvaluate(graph.Labels(meta), defaults)
		out[nsKey{n.Source.Cluster, name}] = p
	}
	return out
}

var (
	sharedOnce sync.Once
	sharedEval *Evaluator
	sharedErr  error
)

// shared is the evaluator of the process: the checks never change.
func shared() (*Evaluator, error) {
	sharedOnce.Do(func() { sharedEval, sharedErr = NewEvaluator() })
	return sharedEval, sharedErr
}

// Default returns the process's evaluator (for flag validation and help).
func Default() (*Evaluator, error) { return shared() }

// parallel runs f(0..n-1) on every processor.
func parallel(n int, f func(i int)) {
	workers := runtime.GOMAXPROCS(0)
	if n < 64 {
		workers = 1
	}
	var wg sync.WaitGroup
	next := make(chan int, 256)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				f(i)
			}
		}()
	}
	for i := 0; i < n; i++ {
		next <- i
	}
	close(next)
	wg.Wait()
}
