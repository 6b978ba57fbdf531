package policies

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/open-policy-agent/opa/v1/ast"

	"github.com/kscan-io/kscan/internal/safefile"
)

// Reading Rego the same way everywhere (rules, --policy, named queries,
// --query-dir, kscan policy test): v1 syntax with METADATA, user files
// regular and bounded, errors as file:line.

// ParseModule parses one Rego file as kscan does: Rego v1, METADATA
// annotations processed.
func ParseModule(name string, src []byte) (*ast.Module, error) {
	return ast.ParseModuleWithOpts(name, string(src), ast.ParserOptions{ProcessAnnotation: true, RegoVersion: ast.RegoV1})
}

// ReadSource reads a user's Rego file: a regular file (never a FIFO or a
// device) of at most 4 MiB.
func ReadSource(path string) ([]byte, error) { return safefile.ReadFile(path, maxPolicyFile) }

// SourceFiles lists the Rego files below dir that are not tests, sorted, or
// dir itself when it is a file; flag names the option in errors.
func SourceFiles(flag, dir string) ([]string, error) {
	fi, err := os.Stat(dir)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", flag, dir, err)
	}
	if !fi.IsDir() {
		return []string{dir}, nil
	}
	var out []string
	err = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && isPolicyFile(p) {
			out = append(out, p)
		}
		return nil
	})
	sort.Strings(out)
	return out, err
}

func isPolicyFile(p string) bool {
	return strings.HasSuffix(p, ".rego") && !strings.HasSuffix(p, "_test.rego")
}

// FormatErrors writes compile errors as "file:line: message", joined by sep.
func FormatErrors(errs ast.Errors, sep string) string {
	parts := make([]string, 0, len(errs))
	for _, e := range errs {
		if e.Location != nil {
			parts = append(parts, fmt.Sprintf("%s:%d: %s", e.Location.File, e.Location.Row, e.Message))
		} else {
			parts = append(parts, e.Message)
		}
	}
	return strings.Join(parts, sep)
}

// PackageAnnotations returns the package-scope METADATA block of m, or nil.
func PackageAnnotations(m *ast.Module) *ast.Annotations {
	for _, an := range m.Annotations {
		if an.Scope == "package" {
			return an
		}
	}
	return nil
}

// DefinesRule reports whether m has a rule called name (deny, result).
func DefinesRule(m *ast.Module, name string) bool {
	for _, r := range m.Rules {
		if r.Head.Name.String() == name || (len(r.Head.Reference) > 0 && r.Head.Reference[0].Value.Compare(ast.Var(name)) == 0) {
			return true
		}
	}
	return false
}
