// Package builtins holds kscan's own Rego built-in functions (kscan.graph)
// for the tools that run rules outside a scan: `kscan policy test`, which
// passes them to its test runner, and the cmd/opa wrapper, which registers
// them globally so that OPA's own CLI (opa test, opa check, opa eval) knows
// them. Nothing is registered until Register is called.
package builtins

import (
	"sync"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"
	"github.com/open-policy-agent/opa/v1/tester"

	"github.com/kscan-io/kscan/policies"
)

// builtin is one kscan built-in: its declaration and its implementation.
type builtin struct {
	fn   *rego.Function
	impl rego.Builtin1
}

// all lists every kscan built-in, in one place.
func all() []builtin {
	return []builtin{{
		fn: &rego.Function{
			Name:        policies.GraphBuiltin.Name,
			Description: "Builds the rule input a scan would build from a list of Kubernetes objects or raw nodes {id, type, object, attrs}.",
			Decl:        policies.GraphBuiltin.Decl,
		},
		impl: policies.GraphFunc(Derive),
	}}
}

var registerOnce sync.Once

// Register adds kscan's built-ins to OPA's global tables (ast.Builtins and
// topdown's implementations), for programs such as cmd/opa that run OPA's
// CLI. It is safe to call more than once. kscan itself never calls it: its
// engine compiles rules with policies.Capabilities, and its test runner
// passes the built-ins explicitly (Tester).
func Register() {
	registerOnce.Do(func() {
		for _, b := range all() {
			rego.RegisterBuiltin1(b.fn, b.impl)
		}
	})
}

// Decls are the declarations of kscan's built-ins, to add to a compiler's
// capabilities.
func Decls() []*ast.Builtin {
	var out []*ast.Builtin
	for _, b := range all() {
		out = append(out, &ast.Builtin{Name: b.fn.Name, Description: b.fn.Description, Decl: b.fn.Decl})
	}
	return out
}

// Tester is kscan's built-ins for an OPA test runner
// (tester.Runner.AddCustomBuiltins), without global registration.
func Tester() []*tester.Builtin {
	var out []*tester.Builtin
	decls := Decls()
	for i, b := range all() {
		out = append(out, &tester.Builtin{Decl: decls[i], Func: rego.Function1(b.fn, b.impl)})
	}
	return out
}
