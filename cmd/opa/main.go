// Command opa is OPA's own command line (opa test, opa check, opa fmt,
// opa eval…) with kscan's Rego built-ins (kscan.graph) registered, so that
// kscan's rules and users' --policy rules can be tested and checked with the
// stock tooling:
//
//	go run ./cmd/opa test policies/
//	go run ./cmd/opa check --strict policies/
//
// Rule fixtures (testdata/ folders of Kubernetes YAML and JSON) are not data
// documents: test and check ignore every folder named testdata by default
// (more --ignore patterns add to it), and so do kscan's own framework
// catalogues (policies/frameworks). It is a separate program so that
// kscan's binary does not link OPA's server and CLI.
package main

import (
	"errors"
	"os"

	opacmd "github.com/open-policy-agent/opa/cmd"

	"github.com/kscan-io/kscan/policies/builtins"
)

func main() {
	builtins.Register()
	ignoreByDefault(opacmd.RootCommand.Commands(), defaultIgnore)
	if err := opacmd.RootCommand.Execute(); err != nil {
		if e, ok := errors.AsType[*opacmd.ExitError](err); ok {
			os.Exit(e.Exit)
		}
		os.Exit(1)
	}
}
