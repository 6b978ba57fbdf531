// Package policies is kscan's Rego engine and its built-in rules. Rules are
// .rego files with an OPA METADATA block; the engine compiles them once,
// evaluates every selected rule against one converted input (on every
// processor when the input is large), and turns their results into
// findings.
package policies

import (
	"context"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"

	"github.com/kscan-io/kscan/finding"
	"github.com/kscan-io/kscan/graph"
)

//go:embed lib rules
var builtinFS embed.FS

// HelpBaseURI is where each rule's documentation page lives.
const HelpBaseURI = "https://github.com/kscan-io/kscan/blob/main/docs/rules/"

// DefaultTimeout bounds one evaluation of all rules.
const DefaultTimeout = 2 * time.Minute

// Rule is one loaded rule and its metadata.
type Rule struct {
	finding.Rule
	// Package is the Rego package path, e.g. data.kscan.rules.k8s.image_tag_latest.
	Package ast.Ref
	File    string
	// NoFramework says why no framework control fits the rule (METADATA
	// custom.no_framework), for rules without custom.frameworks.
	NoFramework string
	// Scope is "resource" (judges one resource at a time) or "stack"
	// (needs other resources: Service→workloads, bindings→roles…); the
	// Pulumi analyzer uses it to choose between Analyze and AnalyzeStack.
	Scope string
	// Identity documents what tells two findings of the rule apart:
	// "resource", or "resource + container" and the like, naming the
	// discriminator its deny elements carry. The fingerprint hashes the
	// rule, the resource and that discriminator, never the message.
	Identity string
	// Examples are good and bad manifests from the rule's testdata folder.
	Examples map[string]string
	// AppliesTo lists the resources the rule judges (METADATA
	// custom.applies_to, see targets.go); empty when it declares none.
	AppliesTo []string
	appliesTo []selector
}

// Options configures Load.
type Options struct {
	// PolicyDirs hold user .rego files (and their _test.rego, which are
	// ignored here). Their rules use the same METADATA contract.
	PolicyDirs []string
	Timeout    time.Duration
	// Replace lets a package of PolicyDirs replace the built-in module of
	// the same package instead of clashing with it: kscan policy test on a
	// copy of kscan's own rules or library being edited.
	Replace bool
}

// Engine holds compiled rules. It is safe for concurrent use.
type Engine struct {
	compiler *ast.Compiler
	rules    []Rule
	byID     map[string]*Rule
	aliases  map[string]string // former rule id -> id
	timeout  time.Duration

	mu      sync.Mutex
	queries map[string]*rego.PreparedEvalQuery
}

// networkBuiltins are removed from every policy's capabilities: rules judge
// the graph they are given and nothing else. opa.runtime would expose the
// environment (credentials) to rules.
var networkBuiltins = []string{"http.send", "net.lookup_ip_addr", "opa.runtime", "rego.parse_module"}

// Capabilities are the builtins rules may use.
func Capabilities() *ast.Capabilities {
	caps := ast.CapabilitiesForThisVersion()
	blocked := map[string]bool{}
	for _, b := range networkBuiltins {
		blocked[b] = true
	}
	var kept []*ast.Builtin
	for _, b := range caps.Builtins {
		if !blocked[b.Name] {
			kept = append(kept, b)
		}
	}
	caps.Builtins = kept
	caps.AllowNet = []string{}
	return caps
}

// Load parses and compiles the built-in rules and those in opts.PolicyDirs.
// Errors name the file and line.
func Load(ctx context.Context, opts Options) (*Engine, error) {
	modules := map[string]*ast.Module{}
	var errs []string
	parse := func(name string, src []byte) *ast.Module {
		m, err := ParseModule(name, src)
		if err != nil {
			errs = append(errs, err.Error())
			return nil
		}
		modules[name] = m
		return m
	}
	err := fs.WalkDir(builtinFS, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !isPolicyFile(p) {
			return err
		}
		src, err := builtinFS.ReadFile(p)
		if err != nil {
			return err
		}
		parse("policies/"+p, src)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("reading built-in rules: %w", err)
	}
	custom := map[string]bool{}
	for _, dir := range opts.PolicyDirs {
		files, err := SourceFiles("--policy", dir)
		if err != nil {
			return nil, err
		}
		for _, f := range files {
			src, err := ReadSource(f)
			if err != nil {
				return nil, fmt.Errorf("reading policy %s: %w", f, err)
			}
			name := filepath.ToSlash(f)
			if _, dup := modules[name]; dup {
				continue
			}
			parse(name, src)
			custom[name] = true
		}
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("policy parse error: %s", strings.Join(errs, "; "))
	}
	if opts.Replace {
		replaced := map[string]bool{}
		for name := range custom {
			replaced[modules[name].Package.Path.String()] = true
		}
		for name, m := range modules {
			if !custom[name] && replaced[m.Package.Path.String()] {
				delete(modules, name)
			}
		}
	}
	return compile(ctx, modules, custom, opts.Timeout)
}

// maxPolicyFile bounds one --policy file.
const maxPolicyFile = 4 << 20

func compile(ctx context.Context, modules map[string]*ast.Module, custom map[string]bool, timeout time.Duration) (*Engine, error) {
	c := ast.NewCompiler().WithCapabilities(Capabilities()).WithEnablePrintStatements(false)
	c.Compile(modules)
	if c.Failed() {
		return nil, fmt.Errorf("policy compile error: %s", FormatErrors(c.Errors, "; "))
	}
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	e := &Engine{compiler: c, byID: map[string]*Rule{}, timeout: timeout}
	names := make([]string, 0, len(modules))
	for n := range modules {
		names = append(names, n)
	}
	sort.Strings(names)
	var errs []string
	for _, name := range names {
		m := modules[name]
		if !strings.HasPrefix(m.Package.Path.String(), "data.kscan.rules.") {
			continue
		}
		r, err := ruleFromModule(name, m)
		if err != nil {
			errs = append(errs, err.Error())
			continue
		}
		r.Custom = custom[name]
		if prev, dup := e.byID[r.ID]; dup {
			errs = append(errs, fmt.Sprintf("%s: rule id %s is already defined in %s", name, r.ID, prev.File))
			continue
		}
		if !r.Custom {
			r.Examples = loadExamples(name)
		}
		e.rules = append(e.rules, r)
		e.byID[r.ID] = &e.rules[len(e.rules)-1]
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("policy metadata error: %s", strings.Join(errs, "; "))
	}
	sort.Slice(e.rules, func(i, j int) bool { return e.rules[i].ID < e.rules[j].ID })
	for i := range e.rules {
		e.byID[e.rules[i].ID] = &e.rules[i]
	}
	// Former ids find the rule that replaced them; one must never shadow a
	// rule that exists.
	e.aliases = map[string]string{}
	for _, r := range e.rules {
		for _, a := range r.Aliases {
			if _, dup := e.byID[a]; dup {
				errs = append(errs, fmt.Sprintf("%s: alias %s of %s is the id of another rule", r.File, a, r.ID))
			} else if prev, dup := e.aliases[a]; dup {
				errs = append(errs, fmt.Sprintf("%s: alias %s of %s is already an alias of %s", r.File, a, r.ID, prev))
			}
			e.aliases[a] = r.ID
		}
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("policy metadata error: %s", strings.Join(errs, "; "))
	}
	return e, nil
}

// ruleFromModule reads the package-scope METADATA of a rule module.
func ruleFromModule(file string, m *ast.Module) (Rule, error) {
	a := PackageAnnotations(m)
	loc := fmt.Sprintf("%s:%d", file, m.Package.Location.Row)
	if a == nil {
		return Rule{}, fmt.Errorf("%s: rule package %s has no package-scope METADATA block", loc, m.Package.Path)
	}
	if !DefinesRule(m, "deny") {
		return Rule{}, fmt.Errorf("%s: rule package %s defines no deny set", loc, m.Package.Path)
	}
	str := func(k string) string {
		v, _ := a.Custom[k].(string)
		return v
	}
	r := Rule{
		Rule: finding.Rule{
			ID:          str("id"),
			Title:       a.Title,
			Severity:    strings.ToLower(str("severity")),
			Description: strings.TrimSpace(a.Description),
			Remediation: strings.TrimSpace(str("remediation")),
			Frameworks:  frameworks(a.Custom["frameworks"]),
			Aliases:     stringList(a.Custom["aliases"]),
		},
		Package:     m.Package.Path,
		File:        file,
		Scope:       str("scope"),
		Identity:    strings.TrimSpace(str("identity")),
		NoFramework: str("no_framework"),
	}
	if r.Scope == "" {
		r.Scope = "resource"
	}
	r.AppliesTo = stringList(a.Custom["applies_to"])
	if _, ok := a.Custom["applies_to"]; ok && r.AppliesTo == nil {
		return Rule{}, fmt.Errorf("%s: METADATA custom.applies_to of %s must be a list of selectors", loc, r.ID)
	}
	sels, err := parseAppliesTo(r.AppliesTo)
	if err != nil {
		return Rule{}, fmt.Errorf("%s: %s: %w", loc, r.ID, err)
	}
	r.appliesTo = sels
	if r.ID == "" {
		return Rule{}, fmt.Errorf("%s: METADATA custom.id is missing", loc)
	}
	if r.Title == "" {
		return Rule{}, fmt.Errorf("%s: METADATA title is missing for %s", loc, r.ID)
	}
	if finding.SeverityRank(r.Severity) < 0 {
		return Rule{}, fmt.Errorf("%s: METADATA custom.severity %q of %s is not critical, high, medium, low or info", loc, r.Severity, r.ID)
	}
	r.HelpURI = HelpBaseURI + strings.ReplaceAll(r.ID, "/", "-") + ".md"
	return r, nil
}

func stringList(v any) []string {
	l, _ := v.([]any)
	var out []string
	for _, e := range l {
		if s, ok := e.(string); ok && s != "" {
			out = append(out, s)
		}
	}
	return out
}

func frameworks(v any) map[string][]string {
	m, ok := v.(map[string]any)
	if !ok {
		return nil
	}
	out := map[string][]string{}
	for k, vs := range m {
		list, _ := vs.([]any)
		for _, e := range list {
			out[k] = append(out[k], fmt.Sprint(e))
		}
	}
	return out
}

// loadExamples reads rules/<domain>/testdata/<rule>/*.yaml beside a built-in rule.
func loadExamples(file string) map[string]string {
	p := strings.TrimPrefix(file, "policies/")
	dir := path.Join(path.Dir(p), "testdata", strings.TrimSuffix(path.Base(p), ".rego"))
	entries, err := builtinFS.ReadDir(dir)
	if err != nil {
		return nil
	}
	out := map[string]string{}
	for _, e := range entries {
		if b, err := builtinFS.ReadFile(path.Join(dir, e.Name())); err == nil {
			out[e.Name()] = string(b)
		}
	}
	return out
}

// Rules returns every loaded rule, sorted by id.
func (e *Engine) Rules() []Rule { return e.rules }

// Rule returns the rule with the given id.
func (e *Engine) Rule(id string) (*Rule, bool) {
	if to, ok := e.aliases[id]; ok {
		id = to
	}
	r, ok := e.byID[id]
	return r, ok
}

// Compiler exposes the compiled modules (for the Pulumi analyzer and tests).
func (e *Engine) Compiler() *ast.Compiler { return e.compiler }

// RuleError is a rule that failed to evaluate.
type RuleError struct {
	RuleID string
	Err    error
}

func (r RuleError) Error() string { return fmt.Sprintf("rule %s failed: %v", r.RuleID, r.Err) }

// Eval runs the given rules against the input and returns their findings,
// sorted, and the rules that failed. When evaluation fails, rules are
// evaluated one by one so that one broken rule does not hide the others'
// findings.
func (e *Engine) Eval(ctx context.Context, in *Input, rules []Rule) ([]finding.Finding, []RuleError, error) {
	parent := ctx
	ctx, cancel := context.WithTimeout(ctx, e.timeout)
	defer cancel()
	if len(rules) == 0 {
		return nil, nil, nil
	}
	results, done, err := e.evalParallel(ctx, in, rules)
	var ruleErrs []RuleError
	if err != nil && ctx.Err() == nil {
		for i, r := range rules {
			if done[i] {
				continue
			}
			one, err := e.evalQuery(ctx, in, []Rule{r})
			if err != nil {
				if ctx.Err() != nil {
					break
				}
				ruleErrs = append(ruleErrs, RuleError{RuleID: r.ID, Err: err})
				done[i] = true
				continue
			}
			results[i], done[i] = one[0], true
		}
	}
	if ctx.Err() != nil {
		// Stopped (--timeout, a signal, or the engine's own limit): the
		// rules that finished keep their findings, each other rule is an
		// error naming why, so the report is written for what finished.
		why := fmt.Errorf("not evaluated: rule evaluation exceeded its time limit (%s)", e.timeout)
		if parent.Err() != nil {
			why = fmt.Errorf("not evaluated: the scan was stopped before the rule finished (%v: %v)", context.Cause(parent), parent.Err())
			if context.Cause(parent) == parent.Err() {
				why = fmt.Errorf("not evaluated: the scan was stopped before the rule finished (%v)", parent.Err())
			}
		}
		for i, r := range rules {
			if !done[i] {
				results[i] = nil
				ruleErrs = append(ruleErrs, RuleError{RuleID: r.ID, Err: why})
			}
		}
	}
	n := 0
	for _, res := range results {
		n += len(res)
	}
	out := make([]finding.Finding, 0, n)
	for i, r := range rules {
		for _, raw := range results[i] {
			f, err := e.toFinding(r, raw, in)
			if err != nil {
				ruleErrs = append(ruleErrs, RuleError{RuleID: r.ID, Err: err})
				continue
			}
			out = append(out, f)
		}
	}
	Sort(out)
	out = dedupe(out)
	return out, append(ruleErrs, identityClashes(out)...), nil
}

// parallelMinNodes is the input size from which rules are spread over the
// processors; below it one query is cheaper than several.
const parallelMinNodes = 2000

// evalParallel evaluates each rule as its own query, on one goroutine per
// processor taking the next rule from a shared queue, over the same input,
// which OPA only reads. Rules share nothing costly (helpers such as the
// workload index are cheap next to the rules themselves), so the queue
// balances the processors whatever the mix of expensive rules.
func (e *Engine) evalParallel(ctx context.Context, in *Input, rules []Rule) ([][]*ast.Term, []bool, error) {
	done := make([]bool, len(rules))
	workers := min(runtime.GOMAXPROCS(0), len(rules))
	results := make([][]*ast.Term, len(rules))
	if workers <= 1 || len(in.nodes) < parallelMinNodes {
		// The built-in rules in one query; each --policy rule in its own,
		// so that a slow or failing one, stopped by --timeout, does not take
		// the other rules' findings with it.
		var builtin []int
		var custom []int
		for i, r := range rules {
			if r.Custom {
				custom = append(custom, i)
			} else {
				builtin = append(builtin, i)
			}
		}
		if len(builtin) > 0 {
			sub := make([]Rule, len(builtin))
			for j, i := range builtin {
				sub[j] = rules[i]
			}
			res, err := e.evalQuery(ctx, in, sub)
			if err != nil {
				return results, done, err
			}
			for j, i := range builtin {
				results[i], done[i] = res[j], true
			}
		}
		for _, i := range custom {
			res, err := e.evalQuery(ctx, in, rules[i:i+1])
			if err != nil {
				return results, done, err
			}
			results[i], done[i] = res[0], true
		}
		return results, done, nil
	}
	var next atomic.Int64
	var firstErr error
	var mu sync.Mutex
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= len(rules) || ctx.Err() != nil {
					return
				}
				res, err := e.evalQuery(ctx, in, rules[i:i+1])
				if err != nil {
					mu.Lock()
					if firstErr == nil {
						firstErr = err
					}
					mu.Unlock()
					return
				}
				results[i] = res[0]
				done[i] = true
			}
		}()
	}
	wg.Wait()
	if firstErr != nil {
		return results, done, firstErr
	}
	if err := ctx.Err(); err != nil {
		return results, done, err
	}
	return results, done, nil
}

// keepTerms hands results over as Rego terms: findings are read straight
// from them instead of being converted to Go values first.
var keepTerms = rego.EvalGenerateJSON(func(t *ast.Term, _ *rego.EvalContext) (any, error) { return t, nil })

// evalQuery evaluates rules in one query and returns the elements of each
// rule's deny set, in Rego's (sorted) set order.
func (e *Engine) evalQuery(ctx context.Context, in *Input, rules []Rule) (res [][]*ast.Term, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("internal error evaluating rules: %v", p)
		}
	}()
	pq, err := e.prepared(ctx, rules)
	if err != nil {
		return nil, err
	}
	rs, err := pq.Eval(ctx, rego.EvalParsedInput(in.Value), keepTerms)
	if err != nil {
		return nil, err
	}
	res = make([][]*ast.Term, len(rules))
	if len(rs) == 0 {
		return res, nil
	}
	for i := range rules {
		t, _ := rs[0].Bindings[fmt.Sprintf("r%d", i)].(*ast.Term)
		if t == nil {
			continue
		}
		switch v := t.Value.(type) {
		case ast.Set:
			res[i] = v.Slice()
		case *ast.Array:
			for j := 0; j < v.Len(); j++ {
				res[i] = append(res[i], v.Elem(j))
			}
		}
	}
	return res, nil
}

// prepared returns the compiled query for a set of rules, compiling it once
// per engine: the Pulumi analyzer evaluates the same set for every resource.
func (e *Engine) prepared(ctx context.Context, rules []Rule) (*rego.PreparedEvalQuery, error) {
	var key strings.Builder
	for _, r := range rules {
		key.WriteString(r.ID)
		key.WriteByte(0)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if pq, ok := e.queries[key.String()]; ok {
		return pq, nil
	}
	body := make(ast.Body, 0, len(rules))
	for i, r := range rules {
		ref := r.Package.Copy().Append(ast.StringTerm("deny"))
		body = append(body, ast.Equality.Expr(ast.VarTerm(fmt.Sprintf("r%d", i)), ast.NewTerm(ref)))
	}
	pq, err := rego.New(
		rego.Compiler(e.compiler),
		rego.ParsedQuery(body),
		rego.StrictBuiltinErrors(true),
	).PrepareForEval(ctx)
	if err != nil {
		return nil, err
	}
	if e.queries == nil {
		e.queries = map[string]*rego.PreparedEvalQuery{}
	}
	e.queries[key.String()] = &pq
	return &pq, nil
}

// Field names of a deny element (and termKey, "key").
var (
	fieldMessage       = ast.StringTerm("message")
	fieldMsg           = ast.StringTerm("msg")
	fieldSeverity      = ast.StringTerm("severity")
	fieldRelated       = ast.StringTerm("related")
	fieldDiscriminator = ast.StringTerm("discriminator")
	fieldAlias         = ast.StringTerm("alias")
	fieldPath          = ast.StringTerm("path")
	fieldEdge          = ast.StringTerm("edge")
	fieldProperties    = ast.StringTerm("properties")
)

// field is the string value of an object's field, "" when absent or not a
// string.
func field(obj ast.Object, name *ast.Term) string {
	if t := obj.Get(name); t != nil {
		if s, ok := t.Value.(ast.String); ok {
			return string(s)
		}
	}
	return ""
}

// toFinding reads one element of a rule's deny set: an object with "key"
// (the node key) or "resource" (an identity), "message" (or "msg"), and
// optionally "severity" (to override the rule's) and "related" (keys).
func (e *Engine) toFinding(r Rule, raw *ast.Term, in *Input) (finding.Finding, error) {
	m, ok := raw.Value.(ast.Object)
	if !ok {
		return finding.Finding{}, fmt.Errorf("deny element is %s, want an object with key and message", ast.ValueName(raw.Value))
	}
	msg := field(m, fieldMessage)
	if msg == "" {
		msg = field(m, fieldMsg)
	}
	key := field(m, termKey)
	n, ok := in.Node(key)
	if !ok {
		if key == "" {
			return finding.Finding{}, errors.New(`deny element has no "key" naming the node it is about`)
		}
		return finding.Finding{}, fmt.Errorf("deny element names unknown node %q", key)
	}
	sev := r.Severity
	if s := field(m, fieldSeverity); s != "" && finding.SeverityRank(s) >= 0 {
		sev = strings.ToLower(s)
	}
	f := finding.Finding{
		RuleID:       r.ID,
		Title:        r.Title,
		Severity:     sev,
		Message:      msg,
		Resource:     n.ID,
		ResourceType: n.Type,
		Location:     LocationOf(n.Source),
		Remediation:  r.Remediation,
		HelpURI:      r.HelpURI,
		Frameworks:   r.Frameworks,
	}
	if rel := m.Get(fieldRelated); rel != nil {
		if c, ok := rel.Value.(interface{ Foreach(func(*ast.Term)) }); ok {
			c.Foreach(func(x *ast.Term) {
				if k, ok := x.Value.(ast.String); ok {
					if rn, ok := in.Node(string(k)); ok {
						f.Related = append(f.Related, rn.ID)
						if f.RelatedLocations == nil {
							f.RelatedLocations = map[string]finding.Location{}
						}
						f.RelatedLocations[rn.ID] = LocationOf(rn.Source)
					}
				}
			})
			sort.Strings(f.Related)
		}
	}
	// "path": the resources the finding follows, in order, each a key or
	// {"key": k, "edge": relation to the next}.
	if p := m.Get(fieldPath); p != nil {
		if arr, ok := p.Value.(*ast.Array); ok {
			arr.Foreach(func(x *ast.Term) {
				var key, edge string
				switch v := x.Value.(type) {
				case ast.String:
					key = string(v)
				case ast.Object:
					key, edge = field(v, termKey), field(v, fieldEdge)
				}
				if pn, ok := in.Node(key); ok {
					f.Path = append(f.Path, finding.PathStep{Resource: pn.ID, ResourceType: pn.Type, Location: LocationOf(pn.Source), Relation: edge})
				}
			})
		}
	}
	if pt := m.Get(fieldProperties); pt != nil {
		props, _ := pt.Value.(ast.Object)
		if props != nil {
			props.Foreach(func(k, v *ast.Term) {
				name, ok := k.Value.(ast.String)
				if !ok {
					return
				}
				list := []string{}
				if c, ok := v.Value.(interface{ Foreach(func(*ast.Term)) }); ok {
					c.Foreach(func(x *ast.Term) {
						if s, ok := x.Value.(ast.String); ok {
							list = append(list, string(s))
						}
					})
				}
				if _, isSet := v.Value.(ast.Set); isSet {
					sort.Strings(list)
				}
				if f.Properties == nil {
					f.Properties = map[string][]string{}
				}
				f.Properties[string(name)] = list
			})
		}
	}
	// The discriminator separates several findings of one rule on one
	// resource (e.g. one per container). The message is never part of the
	// identity: it names things (other workloads, counts) that change when
	// unrelated parts of the input do. Two findings with one identity are
	// caught in Eval.
	disc := field(m, fieldDiscriminator)
	f.Fingerprint = Fingerprint(r.ID, n.ID, disc)
	// A finding of a case that used to be its own rule names that id, so
	// that ignores and baselines written for it keep matching.
	if a := field(m, fieldAlias); a != "" && slices.Contains(r.Aliases, a) {
		f.Aliases = []string{a}
		f.LegacyFingerprints = []string{Fingerprint(a, n.ID, disc)}
	}
	return f, nil
}

// LocationOf converts a graph source to a finding location.
func LocationOf(s graph.Source) finding.Location {
	return finding.Location{Kind: string(s.Kind), File: s.File, Line: s.Line, Cluster: s.Cluster, Path: s.Path, URN: s.URN}
}

// Fingerprint is stable across runs: it never includes line numbers.
func Fingerprint(ruleID, resource, discriminator string) string {
	h := sha256.Sum256([]byte(ruleID + "\x00" + resource + "\x00" + discriminator))
	return hex.EncodeToString(h[:16])
}

// Sort orders findings by severity (highest first), rule, resource, location
// and message, so reports are byte-identical for the same input. Each
// location is rendered once, not once per comparison.
func Sort(fs []finding.Finding) {
	type entry struct {
		rank int
		loc  string
		f    *finding.Finding
	}
	es := make([]entry, len(fs))
	for i := range fs {
		es[i] = entry{finding.SeverityRank(fs[i].Severity), fs[i].Location.String(), &fs[i]}
	}
	slices.SortStableFunc(es, func(x, y entry) int {
		if x.rank != y.rank {
			return y.rank - x.rank
		}
		a, b := x.f, y.f
		if c := strings.Compare(a.RuleID, b.RuleID); c != 0 {
			return c
		}
		if c := strings.Compare(a.Resource, b.Resource); c != 0 {
			return c
		}
		if c := strings.Compare(x.loc, y.loc); c != 0 {
			return c
		}
		return strings.Compare(a.Message, b.Message)
	})
	sorted := make([]finding.Finding, len(fs))
	for i, e := range es {
		sorted[i] = *e.f
	}
	copy(fs, sorted)
}

// identityClashes reports findings of one rule that share a fingerprint but
// say different things: the rule fires more than once on a resource without
// a discriminator telling the findings apart, so baselines and code-scanning
// alerts could not follow them.
func identityClashes(fs []finding.Finding) []RuleError {
	seen := make(map[string]int, len(fs))
	var errs []RuleError
	reported := map[string]bool{}
	for i, f := range fs {
		j, ok := seen[f.Fingerprint]
		if !ok {
			seen[f.Fingerprint] = i
			continue
		}
		if reported[f.RuleID+"\x00"+f.Resource] {
			continue
		}
		reported[f.RuleID+"\x00"+f.Resource] = true
		errs = append(errs, RuleError{RuleID: f.RuleID, Err: fmt.Errorf(
			"two findings on %s have the same identity (%q and %q): give each deny element a distinct \"discriminator\"",
			f.Resource, fs[j].Message, f.Message)})
	}
	return errs
}

func dedupe(fs []finding.Finding) []finding.Finding {
	out := fs[:0]
	for i, f := range fs {
		if i > 0 {
			p := out[len(out)-1]
			if p.RuleID == f.RuleID && p.Resource == f.Resource && p.Message == f.Message && p.Location == f.Location {
				continue
			}
		}
		out = append(out, f)
	}
	return out
}

// LibraryModules parses the built-in helper libraries (policies/lib, not
// their tests) for other Rego engines that share them: kscan query compiles
// its own modules against the same helpers rules use.
func LibraryModules() (map[string]*ast.Module, error) {
	out := map[string]*ast.Module{}
	err := fs.WalkDir(builtinFS, "lib", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !isPolicyFile(p) {
			return err
		}
		src, err := builtinFS.ReadFile(p)
		if err != nil {
			return err
		}
		m, err := ParseModule("policies/"+p, src)
		if err != nil {
			return err
		}
		out["policies/"+p] = m
		return nil
	})
	return out, err
}
