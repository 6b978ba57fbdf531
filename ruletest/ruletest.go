// Package ruletest runs the tests of Rego rules as `kscan policy test` does:
// every *_test.rego of the given directories, compiled with kscan's helper
// library (policies/lib) and built-ins (kscan.graph) under the capabilities
// the engine gives rules (no network built-ins, a time limit), and the
// example fixtures of each rule (testdata/<rule>/failure.*.yaml must give a
// finding of the rule, success.*.yaml none) scanned by the real engine.
package ruletest

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/tester"

	"github.com/kscan-io/kscan/collectors/manifest"
	"github.com/kscan-io/kscan/enrich"
	"github.com/kscan-io/kscan/graph"
	"github.com/kscan-io/kscan/internal/memguard"
	"github.com/kscan-io/kscan/policies"
	"github.com/kscan-io/kscan/policies/builtins"
	"github.com/kscan-io/kscan/scan"
)

// DefaultTimeout bounds one test (or one example scan).
const DefaultTimeout = 10 * time.Second

// Options configures Run.
type Options struct {
	// Paths are rule directories (walked recursively) or .rego files.
	Paths []string
	// Run, when set, is a regular expression a test's full name
	// (data.<package>.<test>) must match, as opa test --run.
	Run string
	// Timeout bounds each test; DefaultTimeout when zero.
	Timeout time.Duration
}

// LoadError is a problem that stops the tests from running (a file that
// does not parse, a compile or METADATA error, no test at all): `kscan
// policy test` exits 2 on it. Its message names the file and line.
type LoadError struct{ Err error }

func (e *LoadError) Error() string { return e.Err.Error() }
func (e *LoadError) Unwrap() error { return e.Err }

// Run runs the Rego tests and the examples of the rules under opts.Paths
// and returns their results, sorted by file and line. A returned error is a
// *LoadError or the context's.
func Run(ctx context.Context, opts Options) ([]*tester.Result, error) {
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultTimeout
	}
	var filter *regexp.Regexp
	if opts.Run != "" {
		re, err := regexp.Compile(opts.Run)
		if err != nil {
			return nil, &LoadError{fmt.Errorf("--run %q: %w", opts.Run, err)}
		}
		filter = re
	}
	files, err := regoFiles(opts.Paths)
	if err != nil {
		return nil, &LoadError{err}
	}
	modules, err := parse(files)
	if err != nil {
		return nil, &LoadError{err}
	}
	// The rules as the engine loads them: METADATA, ids and compile errors
	// are reported exactly as kscan scan --policy would. A package of the
	// paths replaces kscan's own (a copy of policies/ being edited).
	engine, err := policies.Load(ctx, policies.Options{PolicyDirs: opts.Paths, Replace: true})
	if err != nil {
		return nil, &LoadError{err}
	}
	results, err := runRego(ctx, modules, opts)
	if err != nil {
		return nil, err
	}
	results = append(results, runExamples(ctx, engine, opts.Paths, opts.Timeout)...)
	if filter != nil {
		kept := results[:0]
		for _, r := range results {
			if filter.MatchString(r.Package + "." + r.Name) {
				kept = append(kept, r)
			}
		}
		results = kept
	}
	if len(results) == 0 {
		what := "no test (*_test.rego with test_ rules) or example (testdata/<rule>/{failure,success}.*.yaml)"
		if filter != nil {
			what = "no test or example matching --run " + opts.Run
		}
		return nil, &LoadError{fmt.Errorf("%s in %s", what, strings.Join(opts.Paths, ", "))}
	}
	sort.SliceStable(results, func(i, j int) bool {
		a, b := results[i].Location, results[j].Location
		if a.File != b.File {
			return a.File < b.File
		}
		if a.Row != b.Row {
			return a.Row < b.Row
		}
		return results[i].Name < results[j].Name
	})
	return results, nil
}

// regoFiles lists the .rego files (rules, helpers and tests) under paths,
// sorted; testdata folders hold fixtures and are skipped.
func regoFiles(paths []string) ([]string, error) {
	var out []string
	for _, p := range paths {
		fi, err := os.Stat(p)
		if err != nil {
			return nil, err
		}
		if !fi.IsDir() {
			out = append(out, p)
			continue
		}
		err = filepath.WalkDir(p, func(f string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() && d.Name() == "testdata" && f != p {
				return filepath.SkipDir
			}
			if !d.IsDir() && strings.HasSuffix(f, ".rego") {
				out = append(out, f)
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("reading %s: %w", p, err)
		}
	}
	sort.Strings(out)
	return out, nil
}

// parse reads every file as the engine does (Rego v1, METADATA
// annotations) and reports every parse error, each as file:line: message.
func parse(files []string) (map[string]*ast.Module, error) {
	modules := map[string]*ast.Module{}
	var errs []error
	for _, f := range files {
		src, err := policies.ReadSource(f)
		if err != nil {
			errs = append(errs, fmt.Errorf("reading %s: %w", f, err))
			continue
		}
		name := filepath.ToSlash(f)
		m, err := policies.ParseModule(name, src)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		modules[name] = m
	}
	return modules, errors.Join(errs...)
}

// runRego compiles the user's modules with kscan's helper library and runs
// their test_ rules. A helper package the paths define themselves (kscan's
// own policies/lib, being edited) replaces the built-in one.
func runRego(ctx context.Context, modules map[string]*ast.Module, opts Options) ([]*tester.Result, error) {
	lib, err := policies.LibraryModules()
	if err != nil {
		return nil, &LoadError{fmt.Errorf("kscan's Rego library: %w", err)}
	}
	own := map[string]bool{}
	all := map[string]*ast.Module{}
	for name, m := range modules {
		own[m.Package.Path.String()] = true
		all[name] = m
	}
	for name, m := range lib {
		if _, dup := all[name]; !dup && !own[m.Package.Path.String()] {
			all[name] = m
		}
	}
	caps := policies.Capabilities()
	caps.Builtins = append(caps.Builtins, builtins.Decls()...)
	compiler := ast.NewCompiler().WithCapabilities(caps).WithEnablePrintStatements(true)
	runner := tester.NewRunner().
		SetCompiler(compiler).
		SetModules(all).
		AddCustomBuiltins(builtins.Tester()).
		RaiseBuiltinErrors(true).
		CapturePrintOutput(true).
		SetTimeout(opts.Timeout)
	// The tests are the user's Rego: one memory watch over all of them
	// (they run in parallel), as for a --policy rule.
	outer := ctx
	ctx, stop := memguard.Watch(ctx, "the Rego tests", 0)
	defer stop()
	ch, err := runner.RunTests(ctx, nil)
	if err != nil {
		var astErrs ast.Errors
		if errors.As(err, &astErrs) {
			return nil, &LoadError{fmt.Errorf("%s", policies.FormatErrors(astErrs, "\n"))}
		}
		return nil, &LoadError{err}
	}
	var out []*tester.Result
	for r := range ch {
		// Tests of kscan's own library (its embedded tests are not
		// loaded, but a path may hold them) run like any other.
		out = append(out, r)
	}
	if ee := memguard.Exceeded(ctx); ee != nil {
		// Every test the stop ended is an error naming the budget.
		for _, r := range out {
			if r.Error != nil {
				r.Error = ee
			}
		}
		return out, nil
	}
	if err := outer.Err(); err != nil {
		return nil, err
	}
	return out, nil
}

// runExamples scans each rule's example manifests (testdata/<rule>/
// failure.*.yaml and success.*.yaml beside the rule file) with the engine:
// a failure example must give at least one finding of its rule, a success
// example none. Rules judged against a reference state (a scope other than
// resource or stack) and examples in other formats (JSON of other
// collectors) are left to other tests.
func runExamples(ctx context.Context, e *policies.Engine, paths []string, timeout time.Duration) []*tester.Result {
	var out []*tester.Result
	for _, r := range e.Rules() {
		if !under(r.File, paths) || (r.Scope != "resource" && r.Scope != "stack") {
			continue
		}
		dir := filepath.Join(filepath.Dir(filepath.FromSlash(r.File)), "testdata", strings.TrimSuffix(filepath.Base(r.File), ".rego"))
		entries, err := os.ReadDir(dir)
		if err != nil {
			continue
		}
		for _, ent := range entries {
			name := ent.Name()
			ext := filepath.Ext(name)
			want := strings.HasPrefix(name, "failure.")
			if ent.IsDir() || (ext != ".yaml" && ext != ".yml") || (!want && !strings.HasPrefix(name, "success.")) {
				continue
			}
			out = append(out, runExample(ctx, e, r, filepath.Join(dir, name), want, timeout))
		}
	}
	return out
}

func runExample(ctx context.Context, e *policies.Engine, r policies.Rule, file string, want bool, timeout time.Duration) *tester.Result {
	res := &tester.Result{
		Location: &ast.Location{File: filepath.ToSlash(file), Row: 1},
		Package:  r.Package.String(),
		Name:     "example " + filepath.Base(file),
	}
	start := time.Now()
	defer func() { res.Duration = time.Since(start) }()
	data, err := os.ReadFile(file)
	if err != nil {
		res.Error = err
		return res
	}
	g := graph.New()
	manifest.ParseInto(data, graph.Source{Kind: graph.SourceFile, File: res.Location.File}, "", g)
	var problems []string
	for _, ie := range g.Errors() {
		problems = append(problems, ie.Message)
	}
	if len(problems) > 0 {
		res.Error = fmt.Errorf("%s: %s", res.Location.File, strings.Join(problems, "; "))
		return res
	}
	in, err := scan.Input(ctx, g, enrich.Options{}, nil)
	if err != nil {
		res.Error = err
		return res
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	fs, ruleErrs, err := e.Eval(ctx, in, []policies.Rule{r})
	if err == nil && len(ruleErrs) > 0 {
		err = ruleErrs[0]
	}
	if err != nil {
		res.Error = err
		return res
	}
	switch {
	case want && len(fs) == 0:
		res.Fail = true
		res.Output = []byte(fmt.Sprintf("want at least one %s finding, got none", r.ID))
	case !want && len(fs) > 0:
		res.Fail = true
		var b strings.Builder
		fmt.Fprintf(&b, "want no %s finding, got %d:", r.ID, len(fs))
		for _, f := range fs {
			fmt.Fprintf(&b, "\n%s: %s", f.Resource, f.Message)
		}
		res.Output = []byte(b.String())
	}
	return res
}

// under reports whether file lies in one of paths (a directory or the file
// itself).
func under(file string, paths []string) bool {
	f := filepath.Clean(filepath.FromSlash(file))
	for _, p := range paths {
		p = filepath.Clean(p)
		if f == p || strings.HasPrefix(f, p+string(filepath.Separator)) || p == "." {
			return true
		}
	}
	return false
}
