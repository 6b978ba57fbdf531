package frameworks

import (
	"context"
	"sort"
	"strings"
	"testing"

	"github.com/kscan-io/kscan/finding"
	"github.com/kscan-io/kscan/policies"
)

func TestCatalogues(t *testing.T) {
	all, err := All()
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"cis-aws", "cis-k8s", "nsa", "pss-baseline", "pss-restricted"}
	if got := IDs(); strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("frameworks = %v, want %v", got, want)
	}
	for _, fw := range all {
		seen := map[string]bool{}
		for _, c := range fw.Controls {
			if c.ID == "" || c.Title == "" {
				t.Errorf("%s: control without id or title: %+v", fw.ID, c)
			}
			if seen[c.ID] {
				t.Errorf("%s: duplicate control %s", fw.ID, c.ID)
			}
			seen[c.ID] = true
		}
		if len(fw.Keys) == 0 && len(fw.DomainKeys) == 0 {
			t.Errorf("%s: no metadata keys", fw.ID)
		}
	}
	// Restricted is Baseline plus more.
	b, _ := Get("pss-baseline")
	r, _ := Get("pss-restricted")
	rs := map[string]bool{}
	for _, c := range r.Controls {
		rs[c.ID] = true
	}
	for _, c := range b.Controls {
		if !rs[c.ID] {
			t.Errorf("pss-restricted lacks baseline control %s", c.ID)
		}
	}
	if _, err := Get("pci"); err == nil || !strings.Contains(err.Error(), "pss-restricted") {
		t.Errorf("unknown framework error = %v, want the list of ids", err)
	}
}

// TestBuiltinRulesMapToCatalogue keeps the rules' METADATA and the
// catalogue in step: every control a built-in rule names must exist.
func TestBuiltinRulesMapToCatalogue(t *testing.T) {
	e, err := policies.Load(context.Background(), policies.Options{})
	if err != nil {
		t.Fatal(err)
	}
	all, _ := All()
	var rules []finding.Rule
	for _, r := range e.Rules() {
		rules = append(rules, r.Rule)
	}
	for _, fw := range all {
		unknown := fw.Unknown(rules)
		ids := make([]string, 0, len(unknown))
		for id := range unknown {
			ids = append(ids, id)
		}
		sort.Strings(ids)
		for _, id := range ids {
			t.Errorf("%s: rule %s names controls not in policies/frameworks/%s.yaml: %q", fw.ID, id, fw.ID, unknown[id])
		}
	}
}

func TestMappingAndEvaluate(t *testing.T) {
	cis, _ := Get("cis-k8s")
	aws, _ := Get("cis-aws")
	pssB, _ := Get("pss-baseline")
	pssR, _ := Get("pss-restricted")
	priv := finding.Rule{ID: "k8s/privileged-container", Frameworks: map[string][]string{"cis": {"5.2.2"}, "pss": {"baseline:privileged"}}}
	root := finding.Rule{ID: "k8s/run-as-root", Frameworks: map[string][]string{"cis": {"5.2.7"}, "pss": {"restricted:runAsNonRoot"}}}
	iam := finding.Rule{ID: "iam/full-admin", Frameworks: map[string][]string{"cis": {"1.16"}}}
	probes := finding.Rule{ID: "k8s/missing-probes"}
	tests := []struct {
		fw   *Framework
		rule finding.Rule
		want bool
	}{
		{cis, priv, true}, {pssB, priv, true}, {pssR, priv, true},
		{pssB, root, false}, {pssR, root, true},
		{cis, iam, false}, {aws, iam, true}, {aws, priv, false},
		{cis, probes, false},
	}
	for _, tt := range tests {
		if got := tt.fw.Covers(tt.rule); got != tt.want {
			t.Errorf("%s covers %s = %v, want %v", tt.fw.ID, tt.rule.ID, got, tt.want)
		}
	}

	rep := &finding.Report{Rules: []finding.Rule{priv, root, probes}, Findings: []finding.Finding{
		{RuleID: "k8s/run-as-root", Severity: "medium"},
		{RuleID: "k8s/privileged-container", Severity: "critical", Suppression: &finding.Suppression{Kind: "inSource", Justification: "x"}},
		{RuleID: "k8s/missing-probes", Severity: "low"},
	}}
	st := map[string]ControlStatus{}
	for _, s := range pssR.Evaluate(rep) {
		st[s.ID] = s
	}
	if s := st["restricted:runAsNonRoot"]; s.Status != StatusFail || s.Findings != 1 {
		t.Errorf("runAsNonRoot = %+v, want fail with 1 finding", s)
	}
	if s := st["baseline:privileged"]; s.Status != StatusPass || s.Suppressed != 1 {
		t.Errorf("privileged = %+v, want pass (its finding is suppressed)", s)
	}
	if s := st["baseline:hostPorts"]; s.Status != StatusNotCovered {
		t.Errorf("hostPorts = %+v, want not covered", s)
	}

	// The filter keeps only the framework's rules, findings and rule errors.
	rep.Notifications = []finding.Notification{{Level: "error", RuleID: "k8s/missing-probes", Message: "x"}, {Level: "warning", Message: "input"}}
	if err := (Filter{FW: pssR}).Process(context.Background(), nil, rep); err != nil {
		t.Fatal(err)
	}
	if len(rep.Rules) != 2 || len(rep.Findings) != 2 || len(rep.Notifications) != 1 {
		t.Errorf("after filter: %d rules, %d findings, %d notifications; want 2, 2, 1", len(rep.Rules), len(rep.Findings), len(rep.Notifications))
	}
}
