// Package scan runs the pipeline every entry point shares: collectors fill
// one graph, enrich derives edges and facts, the engine evaluates the
// selected rules, and post-processors (suppressions, baselines) adjust the
// findings before a report is rendered.
package scan

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"os"
	"runtime"
	"runtime/pprof"
	"slices"
	"strings"
	"time"

	"github.com/kscan-io/kscan/enrich"
	"github.com/kscan-io/kscan/finding"
	"github.com/kscan-io/kscan/glob"
	"github.com/kscan-io/kscan/graph"
	"github.com/kscan-io/kscan/policies"
)

// Collector fills the graph from one source. Problems with parts of the
// source are recorded in the graph as input errors or warnings; a returned
// error means the whole source failed and is reported as an input error too.
type Collector interface {
	Name() string
	Collect(ctx context.Context, g *graph.Graph) error
}

// CollectFunc is the one shape of a source's collection: every collector
// package has such a function with its own options (manifest.Collect,
// kube.Collect, iam.CollectFiles and CollectLive, ecr.CollectLive,
// registry.Collect, pulumi.Collect, snapshot.CollectReference). Problems
// with parts of the source are input errors or warnings in g; the error
// returned means the whole source failed (or was stopped).
type CollectFunc[O any] func(ctx context.Context, opts O, g *graph.Graph) error

// Source binds a source's collection to its options: one collector of a
// scan, named name in messages.
func Source[O any](name string, collect CollectFunc[O], opts O) Collector {
	return source[O]{name: name, collect: collect, opts: opts}
}

type source[O any] struct {
	name    string
	collect CollectFunc[O]
	opts    O
}

func (s source[O]) Name() string { return s.name }
func (s source[O]) Collect(ctx context.Context, g *graph.Graph) error {
	return s.collect(ctx, s.opts, g)
}

// CollectorFunc adapts a function to Collector, for tests and sources
// assembled in place.
type CollectorFunc struct {
	N string
	F func(ctx context.Context, g *graph.Graph) error
}

func (c CollectorFunc) Name() string                                      { return c.N }
func (c CollectorFunc) Collect(ctx context.Context, g *graph.Graph) error { return c.F(ctx, g) }

// PostProcessor adjusts a finished report (suppress findings, mark baseline
// states, add notifications). It sees the graph for context such as
// annotations on the resources.
type PostProcessor interface {
	Name() string
	Process(ctx context.Context, g *graph.Graph, r *finding.Report) error
}

// Options configures one scan.
type Options struct {
	Engine     *policies.Engine
	Collectors []Collector
	// Rules and SkipRules are id globs ("k8s/*"); an empty Rules selects all.
	Rules, SkipRules []string
	// Selected, when not nil, are the rules to evaluate, chosen by the
	// caller (the Pulumi analyzer's pack settings) instead of by Rules,
	// SkipRules and Severities.
	Selected []policies.Rule
	// Severities, when set, keeps only rules of these severities.
	Severities     []string
	PostProcessors []PostProcessor
	ToolName       string
	ToolVersion    string
	// Enrich holds the settings of derived facts (the Pod Security
	// Standards version).
	Enrich enrich.Options
	// Facts are added to the enrichers' facts (the Pulumi analyzer's rule
	// parameters and stack).
	Facts graph.Facts
	// Passes fills Report.Evaluated and Report.Objects (what each rule
	// judged, so passes can be listed): JUnit and PolicyReports need them,
	// other outputs do not, and on a large scan they cost time and memory.
	Passes bool
	// SlimObjects drops the parsed documents as the rules' input takes them
	// in (policies.BuildInputSlim): Kubernetes nodes keep only their
	// graph.Slim. Set it when neither the post-processors nor the caller
	// read more of Result.Graph's objects than that (not with snapshots or
	// PolicyReports).
	SlimObjects bool
}

// Result is a finished scan.
type Result struct {
	Report *finding.Report
	Graph  *graph.Graph
}

// Run executes one scan. The returned error is for failures of the scan
// machinery itself (cancellation, a rule time-out); problems with inputs are
// notifications in the report.
func Run(ctx context.Context, opts Options) (*Result, error) {
	rules := opts.Selected
	if rules == nil {
		var err error
		rules, err = SelectRules(opts.Engine.Rules(), opts.Rules, opts.SkipRules, opts.Severities)
		if err != nil {
			return nil, err
		}
	}
	done := phase("collect")
	g, err := Collect(ctx, opts.Collectors)
	if stop, ok := errors.AsType[*StoppedError](err); ok {
		// Stopped (--timeout, a signal): the report is still written, for
		// what was read, and says what was not.
		g.AddError(graph.InputError{Source: graph.Source{Kind: graph.SourceKind(stop.Source)},
			Message: fmt.Sprintf("the scan was stopped (%s) while reading %s inputs: the rest of them and the later sources were not read", StopReason(ctx), stop.Source)})
	}
	// One object declared in two files is scanned once (with a warning
	// naming both), not reported twice.
	g.MergeFileDuplicates()
	done()
	rep, err := evaluate(ctx, opts.Engine, g, rules, opts.Enrich, opts.Facts, opts.Passes, opts.SlimObjects)
	if err != nil {
		return nil, err
	}
	rep.ToolName, rep.ToolVersion = opts.ToolName, opts.ToolVersion
	done = phase("post-process")
	defer done()
	for _, p := range opts.PostProcessors {
		if err := p.Process(ctx, g, rep); err != nil {
			rep.Notifications = append(rep.Notifications, finding.Notification{Level: "error", Message: p.Name() + ": " + err.Error()})
		}
	}
	finding.Sort(rep.Findings)
	return &Result{Report: rep, Graph: g}, nil
}

// Collect runs collectors, in order, into a new graph: the first step of
// Run, and what kscan query, snapshot, graph and who-can read before their
// own use of the graph. A source's error is an input error in the graph;
// when ctx ends during a source, collection stops there and the graph read
// so far comes with a *StoppedError naming that source.
func Collect(ctx context.Context, collectors []Collector) (*graph.Graph, error) {
	g := graph.New()
	// Keys of objects sharing an id must not depend on which file the
	// parallel reader finished first (snapshots and graph exports show them).
	defer g.StableKeys()
	for _, c := range collectors {
		if err := c.Collect(ctx, g); err != nil {
			if ctx.Err() != nil {
				return g, &StoppedError{Source: c.Name(), Err: ctx.Err()}
			}
			g.AddError(graph.InputError{Source: graph.Source{Kind: graph.SourceKind(c.Name())}, Message: err.Error()})
		}
	}
	return g, nil
}

// StoppedError is a collection stopped by its context (--timeout, a
// signal) while Source was being read.
type StoppedError struct {
	Source string
	Err    error
}

func (e *StoppedError) Error() string { return e.Source + ": " + e.Err.Error() }
func (e *StoppedError) Unwrap() error { return e.Err }

// StopReason says why ctx ended: its cause (--timeout reached) and the
// context error (context deadline exceeded, context canceled).
func StopReason(ctx context.Context) string {
	cause, err := context.Cause(ctx), ctx.Err()
	if cause == nil || cause == err {
		return fmt.Sprint(err)
	}
	return fmt.Sprintf("%v: %v", cause, err)
}

// Evaluate enriches a collected graph and runs rules on it.
func Evaluate(ctx context.Context, e *policies.Engine, g *graph.Graph, rules []policies.Rule) (*finding.Report, error) {
	return EvaluateWith(ctx, e, g, rules, enrich.Options{})
}

// Evaluator is snapshot.BaselineFormat.Evaluate for an engine and selected
// rules: a snapshot's graph goes through the same evaluation as the scan, so
// the baseline's findings compare like for like.
func Evaluator(e *policies.Engine, rules []policies.Rule) func(ctx context.Context, g *graph.Graph) ([]finding.Finding, error) {
	return func(ctx context.Context, g *graph.Graph) ([]finding.Finding, error) {
		rep, err := Evaluate(ctx, e, g, rules)
		if err != nil {
			return nil, err
		}
		return rep.Findings, nil
	}
}

// EvaluateWith is Evaluate with settings for the enrichers.
func EvaluateWith(ctx context.Context, e *policies.Engine, g *graph.Graph, rules []policies.Rule, opts enrich.Options) (*finding.Report, error) {
	return evaluate(ctx, e, g, rules, opts, nil, false, false)
}

// Input enriches a collected graph (enrich.All) and converts it to the
// rules' input, with extra facts added to the derived ones; the objects
// already collected are converted while the enrichers run.
func Input(ctx context.Context, g *graph.Graph, opts enrich.Options, extra graph.Facts) (*policies.Input, error) {
	return input(ctx, g, opts, extra, false)
}

// input is Input, with slim: policies.BuildInputSlim.
func input(ctx context.Context, g *graph.Graph, opts enrich.Options, extra graph.Facts, slim bool) (*policies.Input, error) {
	build := policies.BuildInputWhile
	if slim {
		build = policies.BuildInputSlim
	}
	return build(g, func() graph.Facts {
		facts := enrich.Graph(ctx, g, opts)
		maps.Copy(facts, extra)
		return facts
	})
}

// evaluate enriches g, runs the rules and, with passes, lists what each
// rule judged (Options.Passes); with slim, the objects are slimmed as the
// input is built (Options.SlimObjects).
func evaluate(ctx context.Context, e *policies.Engine, g *graph.Graph, rules []policies.Rule, opts enrich.Options, facts graph.Facts, passes, slim bool) (*finding.Report, error) {
	done := phase("prepare+input")
	in, err := input(ctx, g, opts, facts, slim)
	done()
	if err != nil {
		return nil, fmt.Errorf("building rule input: %w", err)
	}
	done = phase("rules")
	fs, ruleErrs, err := e.Eval(ctx, in, rules)
	done()
	if err != nil {
		return nil, err
	}
	rep := &finding.Report{Findings: fs, Resources: countResources(g)}
	for _, r := range rules {
		rep.Rules = append(rep.Rules, r.Rule)
	}
	if passes {
		done = phase("evaluated")
		rep.Evaluated, rep.Objects = evaluated(in, g, rules)
		done()
	}
	for _, ie := range g.Errors() {
		rep.Notifications = append(rep.Notifications, finding.Notification{
			Level: string(ie.Level), Message: ie.Message, Location: finding.LocationOf(ie.Source), Resource: ie.Resource,
		})
	}
	for _, re := range ruleErrs {
		rep.Notifications = append(rep.Notifications, finding.Notification{Level: "error", Message: re.Error(), RuleID: re.RuleID})
	}
	return rep, nil
}

// evaluated lists the resources each rule judged, from the rules'
// declarations (custom.applies_to) and the input's indexes: no rule runs
// again. Resources with a finding of the rule count too (a finding outside
// the declared set is still an evaluation). Objects describes every
// Kubernetes resource of the graph for reports that name objects.
func evaluated(in *policies.Input, g *graph.Graph, rules []policies.Rule) (map[string][]string, map[string]finding.ObjectRef) {
	out := map[string][]string{}
	for _, r := range rules {
		if ids, ok := in.Targets(r); ok {
			out[r.ID] = ids
		}
	}
	return out, policies.ObjectRefs(g)
}

// phase reports how long a stage of the scan took on stderr when
// KSCAN_DEBUG_TIMINGS is set: a developer's aid for docs/benchmarks.md.
// KSCAN_PPROF_HEAP_AT=<phase>:<file> writes the heap in use at the end of
// that phase (after a collection) to file: what a scan holds at its peak.
func phase(name string) func() { return Phase(name) }

// Phase is phase for the stages outside Run (loading the rules, writing
// the report, the exit).
func Phase(name string) func() {
	at := os.Getenv("KSCAN_PPROF_HEAP_AT")
	if os.Getenv("KSCAN_DEBUG_TIMINGS") == "" && at == "" {
		return func() {}
	}
	start, cpu := time.Now(), processCPU()
	return func() {
		if os.Getenv("KSCAN_DEBUG_TIMINGS") != "" {
			// The process's CPU time beside the wall time: on a shared
			// machine the wall time says little, and CPU/wall says how much
			// of the phase ran on several cores.
			fmt.Fprintf(os.Stderr, "kscan: %-12s %v (cpu %v)\n", name, time.Since(start).Round(time.Millisecond),
				(processCPU() - cpu).Round(time.Millisecond))
		}
		if p, file, ok := strings.Cut(at, ":"); ok && p == name {
			writeHeap(file)
		}
	}
}

// writeHeap writes the live heap's profile to file, for developers.
func writeHeap(file string) {
	runtime.GC()
	f, err := os.Create(file)
	if err != nil {
		fmt.Fprintf(os.Stderr, "kscan: heap profile: %v\n", err)
		return
	}
	defer f.Close()
	if err := pprof.Lookup("heap").WriteTo(f, 0); err != nil {
		fmt.Fprintf(os.Stderr, "kscan: heap profile: %v\n", err)
	}
}

// countResources counts the nodes read from inputs (not derived ones).
func countResources(g *graph.Graph) int {
	n := 0
	for _, node := range g.Nodes() {
		// Reference states (--desired, --baseline) are compared against, not scanned.
		if node.Source.Kind != graph.SourceDerived && !strings.HasPrefix(node.Type, "kscan:") {
			n++
		}
	}
	return n
}

// SelectRules filters rules by id globs and severities. A pattern without a
// wildcard that names no rule is an error (a typo would silently disable a
// gate otherwise).
func SelectRules(all []policies.Rule, include, exclude, severities []string) ([]policies.Rule, error) {
	for _, list := range [][]string{include, exclude} {
		for _, p := range list {
			if strings.ContainsAny(p, "*?") {
				continue
			}
			found := false
			for _, r := range all {
				if r.ID == p || slices.Contains(r.Aliases, p) {
					found = true
					break
				}
			}
			if !found {
				return nil, fmt.Errorf("unknown rule id %q (see kscan rules)", p)
			}
		}
	}
	sevs := map[string]bool{}
	for _, s := range severities {
		s, err := finding.ParseSeverity(s)
		if err != nil {
			return nil, err
		}
		sevs[s] = true
	}
	var out []policies.Rule
	for _, r := range all {
		if len(include) > 0 && !matchRule(include, r) {
			continue
		}
		if matchRule(exclude, r) {
			continue
		}
		if len(sevs) > 0 && !sevs[r.Severity] {
			continue
		}
		out = append(out, r)
	}
	return out, nil
}

// matchRule: a glob names the rule's id or one of its former ids.
func matchRule(globs []string, r policies.Rule) bool {
	if matchAny(globs, r.ID) {
		return true
	}
	for _, a := range r.Aliases {
		if matchAny(globs, a) {
			return true
		}
	}
	return false
}

func matchAny(globs []string, id string) bool {
	for _, g := range globs {
		if glob.Match(g, id) {
			return true
		}
	}
	return false
}

// Exit codes, a public contract.
const (
	ExitClean      = 0
	ExitFindings   = 1
	ExitIncomplete = 2
)

// ExitCode is 2 when the scan was incomplete, else 1 when an active (not
// suppressed) finding is at or above failOn, else 0. With onlyNew, only
// findings whose baseline state is "new" count.
func ExitCode(r *finding.Report, failOn string, onlyNew bool) int {
	if r.Incomplete() {
		return ExitIncomplete
	}
	for _, f := range r.Findings {
		if f.Suppression != nil {
			continue
		}
		if onlyNew && f.BaselineState != "" && f.BaselineState != "new" {
			continue
		}
		if finding.AtLeast(f.Severity, failOn) {
			return ExitFindings
		}
	}
	return ExitClean
}

// ProcessCPU is the user and system CPU time the process has used so far
// (0 where it is not measured): kscan query's KSCAN_DEBUG_TIMINGS line.
func ProcessCPU() time.Duration { return processCPU() }
