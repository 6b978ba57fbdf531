package policies

import (
	"context"
	"fmt"
	"io/fs"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/open-policy-agent/opa/v1/ast"
)

// networkBuiltins are removed from every policy's capabilities: rules judge
// the graph they are given and nothing else. opa.runtime would expose the
// environment (credentials) to rules.
var networkBuiltins = []string{"http.send", "net.lookup_ip_addr", "opa.runtime", "rego.parse_module"}

// Capabilities are the builtins rules may use.
func Capabilities() *ast.Capabilities {
	boundBuiltins()
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
	e, err := compile(ctx, modules, custom, opts.Timeout)
	if e != nil {
		e.memoryBudget = opts.MemoryBudget
	}
	return e, err
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
