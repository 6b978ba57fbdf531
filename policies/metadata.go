package policies

import (
	"fmt"
	"strings"

	"github.com/open-policy-agent/opa/v1/ast"

	"github.com/kscan-io/kscan/finding"
)

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
	if r.Watch, err = ParseWatch(a.Custom["watch"]); err != nil {
		return Rule{}, fmt.Errorf("%s: %s: %w", loc, r.ID, err)
	}
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
