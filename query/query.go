// Package query answers questions about the scanned graph: kscan query
// evaluates a Rego expression, or one of the named queries shipped in
// queries/ (or a user's --query-dir), against the same input rules see
// (policies.Input), with helpers from lib/kscan.rego, in the rules' sandbox.
// Answers are rows (objects), one per container or object, never merged.
package query

import (
	"context"
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"

	"github.com/kscan-io/kscan/internal/memguard"
	"github.com/kscan-io/kscan/policies"
)

//go:embed lib queries
var builtinFS embed.FS

// PackagePrefix is where named queries live: data.kscan.queries.<name>.
const PackagePrefix = "data.kscan.queries."

// Param is a parameter of a named query (METADATA custom.parameters).
type Param struct {
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
	// Type is "string" (default) or "number": --param values are converted.
	Type    string `json:"type,omitempty"`
	Default any    `json:"default,omitempty"`
}

// Named is a named query: a Rego package under kscan.queries with a
// package-scope METADATA block and a result set of rows.
type Named struct {
	Name        string   `json:"name"`
	Title       string   `json:"title"`
	Description string   `json:"description"`
	Params      []Param  `json:"parameters,omitempty"`
	Columns     []string `json:"columns,omitempty"`
	// Limits says what the answer cannot know from the data kscan has.
	Limits string `json:"limits,omitempty"`
	// Watch says what the rows depend on, for kscan query --watch
	// (METADATA custom.watch, see policies.Watch); with Watch.Namespace,
	// WatchKey is the column whose value is the id of the object each row
	// is about (custom.watch_key).
	Watch    policies.Watch `json:"watch,omitzero"`
	WatchKey string         `json:"watch_key,omitempty"`
	File     string         `json:"file"`
	Custom   bool           `json:"custom,omitempty"`
	Package  ast.Ref        `json:"-"`
}

// Options configures Load.
type Options struct {
	// QueryDirs hold user queries (.rego files; _test.rego ignored).
	QueryDirs []string
	// Timeout bounds one evaluation (policies.DefaultTimeout when 0).
	Timeout time.Duration
}

// Engine holds the compiled library and named queries.
type Engine struct {
	compiler *ast.Compiler
	named    []Named
	byName   map[string]int
	timeout  time.Duration
}

// Capabilities are the rules' (no network builtins, no opa.runtime) plus
// kscan_shortest_path.
func Capabilities() *ast.Capabilities {
	caps := policies.Capabilities()
	caps.Builtins = append(caps.Builtins, PathBuiltin)
	return caps
}

// Modules returns the modules a query is compiled with: the rules' helper
// libraries, lib/kscan.rego and the built-in named queries; with tests, their
// _test.rego files too.
func Modules(tests bool) (map[string]*ast.Module, error) {
	mods, err := policies.LibraryModules()
	if err != nil {
		return nil, fmt.Errorf("reading the rules' helpers: %w", err)
	}
	err = fs.WalkDir(builtinFS, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".rego") {
			return err
		}
		if strings.HasSuffix(p, "_test.rego") && !tests {
			return nil
		}
		src, err := builtinFS.ReadFile(p)
		if err != nil {
			return err
		}
		m, err := policies.ParseModule("query/"+p, src)
		if err != nil {
			return err
		}
		mods["query/"+p] = m
		return nil
	})
	return mods, err
}

// Load compiles the library, the built-in named queries and those in
// opts.QueryDirs. Errors name the file and line.
func Load(ctx context.Context, opts Options) (*Engine, error) {
	mods, err := Modules(false)
	if err != nil {
		return nil, err
	}
	custom := map[string]bool{}
	for _, dir := range opts.QueryDirs {
		files, err := policies.SourceFiles("--query-dir", dir)
		if err != nil {
			return nil, err
		}
		for _, f := range files {
			src, err := policies.ReadSource(f)
			if err != nil {
				return nil, fmt.Errorf("reading query %s: %w", f, err)
			}
			m, err := policies.ParseModule(filepath.ToSlash(f), src)
			if err != nil {
				return nil, fmt.Errorf("query parse error: %w", err)
			}
			mods[filepath.ToSlash(f)] = m
			custom[filepath.ToSlash(f)] = true
		}
	}
	c := ast.NewCompiler().WithCapabilities(Capabilities()).WithEnablePrintStatements(false)
	c.Compile(mods)
	if c.Failed() {
		return nil, fmt.Errorf("query compile error: %s", policies.FormatErrors(c.Errors, "; "))
	}
	e := &Engine{compiler: c, byName: map[string]int{}, timeout: opts.Timeout}
	if e.timeout <= 0 {
		e.timeout = policies.DefaultTimeout
	}
	names := make([]string, 0, len(mods))
	for n := range mods {
		names = append(names, n)
	}
	sort.Strings(names)
	var errs []string
	for _, file := range names {
		m := mods[file]
		if !strings.HasPrefix(m.Package.Path.String(), PackagePrefix) {
			continue
		}
		q, err := namedFromModule(file, m)
		if err != nil {
			errs = append(errs, err.Error())
			continue
		}
		q.Custom = custom[file]
		if i, dup := e.byName[q.Name]; dup {
			errs = append(errs, fmt.Sprintf("%s: query %s is already defined in %s", file, q.Name, e.named[i].File))
			continue
		}
		e.byName[q.Name] = len(e.named)
		e.named = append(e.named, q)
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("query metadata error: %s", strings.Join(errs, "; "))
	}
	sort.Slice(e.named, func(i, j int) bool { return e.named[i].Name < e.named[j].Name })
	for i, q := range e.named {
		e.byName[q.Name] = i
	}
	return e, nil
}

// namedFromModule reads a named query's package-scope METADATA.
func namedFromModule(file string, m *ast.Module) (Named, error) {
	loc := fmt.Sprintf("%s:%d", file, m.Package.Location.Row)
	a := policies.PackageAnnotations(m)
	if a == nil {
		return Named{}, fmt.Errorf("%s: query package %s has no package-scope METADATA block", loc, m.Package.Path)
	}
	if !policies.DefinesRule(m, "result") {
		return Named{}, fmt.Errorf("%s: query package %s defines no result", loc, m.Package.Path)
	}
	str := func(k string) string {
		v, _ := a.Custom[k].(string)
		return strings.TrimSpace(v)
	}
	q := Named{
		Name: str("name"), Title: a.Title, Description: strings.TrimSpace(a.Description),
		Limits: str("limits"), File: file, Package: m.Package.Path,
	}
	if q.Name == "" {
		return Named{}, fmt.Errorf("%s: METADATA custom.name is missing", loc)
	}
	w, err := policies.ParseWatch(a.Custom["watch"])
	if err != nil {
		return Named{}, fmt.Errorf("%s: query %s: %w", loc, q.Name, err)
	}
	q.Watch, q.WatchKey = w, str("watch_key")
	if w.Namespace && q.WatchKey == "" {
		return Named{}, fmt.Errorf("%s: query %s: METADATA custom.watch: namespace needs custom.watch_key, the column naming the object of each row", loc, q.Name)
	}
	if q.Title == "" {
		return Named{}, fmt.Errorf("%s: METADATA title is missing for query %s", loc, q.Name)
	}
	if cols, ok := a.Custom["columns"].([]any); ok {
		for _, c := range cols {
			if s, ok := c.(string); ok {
				q.Columns = append(q.Columns, s)
			}
		}
	}
	params, _ := a.Custom["parameters"].([]any)
	for _, p := range params {
		pm, _ := p.(map[string]any)
		name, _ := pm["name"].(string)
		if name == "" {
			return Named{}, fmt.Errorf("%s: query %s: a parameter has no name", loc, q.Name)
		}
		desc, _ := pm["description"].(string)
		typ, _ := pm["type"].(string)
		if typ == "" {
			typ = "string"
		}
		if typ != "string" && typ != "number" {
			return Named{}, fmt.Errorf("%s: query %s: parameter %s has type %q, want string or number", loc, q.Name, name, typ)
		}
		q.Params = append(q.Params, Param{Name: name, Description: strings.TrimSpace(desc), Type: typ, Default: pm["default"]})
	}
	return q, nil
}

// Named lists the named queries, sorted by name.
func (e *Engine) Named() []Named { return e.named }

// Lookup finds a named query.
func (e *Engine) Lookup(name string) (*Named, bool) {
	i, ok := e.byName[name]
	if !ok {
		return nil, false
	}
	return &e.named[i], true
}

// Result is the answer to a query: rows, each an object, and the columns
// to show them in.
type Result struct {
	Columns []string
	Rows    []map[string]any
}

// RunNamed evaluates a named query with parameters given as strings
// (--param name=value); parameters not given take their default.
func (e *Engine) RunNamed(ctx context.Context, in *policies.Input, name string, params map[string]string) (*Result, error) {
	q, ok := e.Lookup(name)
	if !ok {
		return nil, fmt.Errorf("unknown query %q (see kscan query --list)", name)
	}
	values, err := q.paramValues(params)
	if err != nil {
		return nil, err
	}
	ref := q.Package.Copy().Append(ast.StringTerm("result"))
	body := ast.NewBody(ast.Equality.Expr(ast.VarTerm("result"), ast.NewTerm(ref)))
	rs, err := e.eval(ctx, in, values, rego.ParsedQuery(body))
	if err != nil {
		return nil, fmt.Errorf("query %s: %w", name, err)
	}
	res := &Result{Columns: q.Columns}
	if len(rs) > 0 {
		rows, ok := rs[0].Bindings["result"].([]any)
		if !ok {
			return nil, fmt.Errorf("query %s: result is not a set or array of rows", name)
		}
		for _, r := range rows {
			row, ok := r.(map[string]any)
			if !ok {
				return nil, fmt.Errorf("query %s: a row of result is %T, want an object", name, r)
			}
			res.Rows = append(res.Rows, row)
		}
	}
	res.finish()
	return res, nil
}

// paramValues checks and converts --param values; defaults fill the rest.
func (q *Named) paramValues(given map[string]string) (map[string]any, error) {
	out := map[string]any{}
	known := map[string]Param{}
	for _, p := range q.Params {
		known[p.Name] = p
		if p.Default != nil {
			out[p.Name] = p.Default
		}
	}
	for k, v := range given {
		p, ok := known[k]
		if !ok {
			names := make([]string, 0, len(q.Params))
			for _, p := range q.Params {
				names = append(names, p.Name)
			}
			if len(names) == 0 {
				return nil, fmt.Errorf("query %s takes no parameters (got %s)", q.Name, k)
			}
			return nil, fmt.Errorf("query %s has no parameter %q (it takes: %s)", q.Name, k, strings.Join(names, ", "))
		}
		if p.Type == "number" {
			n, err := strconv.ParseFloat(v, 64)
			if err != nil {
				return nil, fmt.Errorf("--param %s=%s: want a number", k, v)
			}
			out[k] = n
			continue
		}
		out[k] = v
	}
	return out, nil
}

// Run evaluates a Rego expression with data.kscan imported as kscan. Rows
// are its variable bindings when it binds variables (`some w in
// kscan.workloads; name := w.name` gives a row per workload with a column
// name; variables declared with some are columns only when nothing else is
// bound); otherwise the elements of its value when that is an array or set
// (objects give their keys as columns, anything else a column "value"), or
// the value itself as one row (an object's keys as columns).
func (e *Engine) Run(ctx context.Context, in *policies.Input, expr string, params map[string]string) (*Result, error) {
	values := map[string]any{}
	for k, v := range params {
		values[k] = v
	}
	rs, err := e.eval(ctx, in, values, rego.Query(expr), rego.Imports([]string{"data.kscan"}))
	if err != nil {
		return nil, err
	}
	iter := iterationVars(expr)
	res := &Result{}
	for _, r := range rs {
		if len(r.Bindings) > 0 {
			row := map[string]any{}
			for k, v := range r.Bindings {
				if !iter[k] {
					row[k] = v
				}
			}
			if len(row) == 0 {
				for k, v := range r.Bindings {
					row[k] = v
				}
			}
			res.Rows = append(res.Rows, row)
			continue
		}
		if len(r.Expressions) == 0 {
			continue
		}
		res.Rows = append(res.Rows, valueRows(r.Expressions[len(r.Expressions)-1].Value)...)
	}
	res.finish()
	return res, nil
}

// iterationVars are the variables an expression declares with some: they
// walk collections, and are columns only when nothing else is bound.
func iterationVars(expr string) map[string]bool {
	out := map[string]bool{}
	body, err := ast.ParseBodyWithOpts(expr, ast.ParserOptions{RegoVersion: ast.RegoV1})
	if err != nil {
		return out // Eval reports the error
	}
	ast.WalkNodes(body, func(n ast.Node) bool {
		if sd, ok := n.(*ast.SomeDecl); ok {
			for _, sym := range sd.Symbols {
				if v, ok := sym.Value.(ast.Var); ok {
					out[string(v)] = true
					continue
				}
				// some x in xs / some k, v in xs: the member call's
				// leading arguments (not the collection).
				if call, ok := sym.Value.(ast.Call); ok && len(call) > 1 {
					for _, t := range call[1 : len(call)-1] {
						ast.WalkVars(t, func(v ast.Var) bool {
							out[string(v)] = true
							return false
						})
					}
				}
			}
		}
		return false
	})
	return out
}

func valueRows(v any) []map[string]any {
	switch x := v.(type) {
	case []any:
		out := make([]map[string]any, 0, len(x))
		for _, e := range x {
			if m, ok := e.(map[string]any); ok {
				out = append(out, m)
			} else {
				out = append(out, map[string]any{"value": e})
			}
		}
		return out
	case map[string]any:
		return []map[string]any{x}
	}
	return []map[string]any{{"value": v}}
}

func (e *Engine) eval(ctx context.Context, in *policies.Input, params map[string]any, opts ...func(*rego.Rego)) (rs rego.ResultSet, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("internal error evaluating the query: %v", p)
		}
	}()
	ctx, cancel := context.WithTimeout(ctx, e.timeout)
	defer cancel()
	// A query is the user's (or a --query-dir file's) Rego: bounded like a
	// --policy rule.
	ctx, stop := memguard.Watch(ctx, "the query", 0)
	defer stop()
	input, err := withParams(in.Value, params)
	if err != nil {
		return nil, err
	}
	opts = append(opts,
		rego.Compiler(e.compiler),
		rego.Capabilities(Capabilities()),
		rego.StrictBuiltinErrors(true),
		rego.ParsedInput(input),
		pathFunction(),
	)
	rs, err = rego.New(opts...).Eval(ctx)
	if err != nil {
		if ee := memguard.Exceeded(ctx); ee != nil {
			return nil, ee
		}
		if ctx.Err() != nil {
			return nil, fmt.Errorf("the query did not finish within its time limit (%s): %w", e.timeout, ctx.Err())
		}
		return nil, err
	}
	return rs, nil
}

// withParams is the input with params added: a new top-level object that
// shares every other value (the converted graph is large and read-only).
func withParams(v ast.Value, params map[string]any) (ast.Value, error) {
	obj, ok := v.(ast.Object)
	if !ok {
		return nil, fmt.Errorf("query input is %s, want an object", ast.ValueName(v))
	}
	p, err := ast.InterfaceToValue(params)
	if err != nil {
		return nil, fmt.Errorf("parameters: %w", err)
	}
	items := make([][2]*ast.Term, 0, obj.Len()+1)
	obj.Foreach(func(k, v *ast.Term) {
		if k.Value.Compare(ast.String("params")) != 0 {
			items = append(items, [2]*ast.Term{k, v})
		}
	})
	items = append(items, [2]*ast.Term{ast.StringTerm("params"), ast.NewTerm(p)})
	return ast.NewObject(items...), nil
}

// finish fills in the columns (those named first, then every other key in
// order) and sorts the rows by their cells, so the same input always gives
// the same answer in the same order.
func (r *Result) finish() {
	named := map[string]bool{}
	for _, c := range r.Columns {
		named[c] = true
	}
	var extra []string
	seen := map[string]bool{}
	for _, row := range r.Rows {
		for k := range row {
			if !named[k] && !seen[k] {
				seen[k] = true
				extra = append(extra, k)
			}
		}
	}
	sort.Strings(extra)
	r.Columns = append(append([]string(nil), r.Columns...), extra...)
	cells := make([][]string, len(r.Rows))
	for i, row := range r.Rows {
		cells[i] = r.Cells(row)
	}
	idx := make([]int, len(r.Rows))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool {
		x, y := cells[idx[a]], cells[idx[b]]
		for i := range x {
			if x[i] != y[i] {
				return x[i] < y[i]
			}
		}
		return false
	})
	rows := make([]map[string]any, len(r.Rows))
	for i, j := range idx {
		rows[i] = r.Rows[j]
	}
	r.Rows = rows
}

// Cells renders a row in column order: strings as they are, lists of
// strings joined with ", ", numbers and booleans as JSON, other values as
// compact JSON, a missing value as "".
func (r *Result) Cells(row map[string]any) []string {
	out := make([]string, len(r.Columns))
	for i, c := range r.Columns {
		out[i] = Cell(row[c])
	}
	return out
}

// Cell renders one value.
func Cell(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case json.Number:
		return x.String()
	case []any:
		parts := make([]string, 0, len(x))
		for _, e := range x {
			s, ok := e.(string)
			if !ok {
				b, _ := json.Marshal(v)
				return string(b)
			}
			parts = append(parts, s)
		}
		return strings.Join(parts, ", ")
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}
