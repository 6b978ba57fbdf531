// Package policies is kscan's Rego engine and its built-in rules. Rules are
// .rego files with an OPA METADATA block; the engine compiles them once,
// evaluates every selected rule against one converted input (on every
// processor when the input is large), and turns their results into
// findings.
package policies

import (
	"embed"
	"time"

	"github.com/open-policy-agent/opa/v1/ast"

	"github.com/kscan-io/kscan/finding"
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
	// Watch says what the findings depend on, for kscan scan --watch
	// (METADATA custom.watch, see Watch).
	Watch Watch
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
	// MemoryBudget bounds how much one --policy rule's evaluation may grow
	// the heap (see internal/memguard; its default when 0).
	MemoryBudget uint64
}

// Engine holds compiled rules. It is safe for concurrent use.
type Engine struct {
	compiler *ast.Compiler
	rules    []Rule
	byID     map[string]*Rule
	aliases  map[string]string // former rule id -> id
	timeout  time.Duration
	// memoryBudget bounds each --policy rule (evalCustom).
	memoryBudget uint64

	queries queryCache
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
