package baseline

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kscan-io/kscan/finding"
	"github.com/kscan-io/kscan/report"
)

func f(rule, res, msg, sev, file string, line int, disc string) finding.Finding {
	return finding.Finding{
		RuleID: rule, Title: rule, Severity: sev, Message: msg, Resource: res,
		Location:    finding.Location{Kind: "file", File: file, Line: line},
		Fingerprint: finding.Fingerprint(rule, res, disc),
	}
}

func rules(ids ...string) []finding.Rule {
	var out []finding.Rule
	for _, id := range ids {
		out = append(out, finding.Rule{ID: id, Title: id, Severity: "high"})
	}
	return out
}

// writeSARIF renders r with kscan's own SARIF writer, as a previous run would.
func writeSARIF(t *testing.T, r *finding.Report) string {
	t.Helper()
	var buf bytes.Buffer
	if err := report.SARIF(&buf, r, report.Options{}); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "previous.sarif")
	if err := os.WriteFile(p, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestBaselineStates(t *testing.T) {
	prev := &finding.Report{ToolName: "kscan", ToolVersion: "dev", Rules: rules("k8s/a", "k8s/b", "k8s/c"), Findings: []finding.Finding{
		f("k8s/a", "shop/Deployment/web", "web runs as root", "high", "web.yaml", 1, "web"),
		f("k8s/a", "shop/Deployment/api", "api runs as root", "high", "api.yaml", 1, "api"),
		f("k8s/b", "shop/Deployment/web", "image nginx:latest", "high", "web.yaml", 1, "web"),
		f("k8s/b", "shop/Deployment/gone", "image x:latest", "high", "gone.yaml", 4, "gone"),
		f("k8s/c", "other/Deployment/x", "not run this time", "high", "x.yaml", 1, "x"),
	}}
	prev.Findings[1].Suppression = &finding.Suppression{Kind: "external", Justification: "accepted"}
	path := writeSARIF(t, prev)

	cur := &finding.Report{Rules: rules("k8s/a", "k8s/b"), Findings: []finding.Finding{
		// moved to another line and file: still unchanged
		f("k8s/a", "shop/Deployment/web", "web runs as root", "high", "moved/web.yaml", 40, "web"),
		f("k8s/a", "shop/Deployment/api", "api runs as root", "high", "api.yaml", 1, "api"),
		// same rule, resource and container; the message changed
		f("k8s/b", "shop/Deployment/web", "image nginx", "high", "web.yaml", 1, "web"),
		f("k8s/b", "shop/Deployment/new", "image y:latest", "high", "new.yaml", 1, "new"),
	}}
	p := New(Options{Path: path})
	if err := p.Process(context.Background(), nil, cur); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"k8s/a shop/Deployment/web": StateUnchanged,
		"k8s/a shop/Deployment/api": StateUnchanged,
		"k8s/b shop/Deployment/web": StateUpdated,
		"k8s/b shop/Deployment/new": StateNew,
	}
	for _, x := range cur.Findings {
		if got := x.BaselineState; got != want[x.RuleID+" "+x.Resource] {
			t.Errorf("%s %s: state %q, want %q", x.RuleID, x.Resource, got, want[x.RuleID+" "+x.Resource])
		}
	}
	if len(cur.Absent) != 1 || cur.Absent[0].Resource != "shop/Deployment/gone" || cur.Absent[0].BaselineState != StateAbsent {
		t.Fatalf("absent = %+v, want only shop/Deployment/gone (k8s/c did not run)", cur.Absent)
	}
	if a := cur.Absent[0]; a.Location.File != "gone.yaml" || a.Location.Line != 4 || a.Message != "image x:latest" {
		t.Errorf("absent finding lost its details: %+v", a)
	}
	c := Counts(cur)
	if c[StateNew] != 1 || c[StateUpdated] != 1 || c[StateUnchanged] != 2 || c[StateAbsent] != 1 {
		t.Errorf("counts = %v", c)
	}

	// The result round-trips: the absent result is in SARIF with
	// baselineState absent, and a later baseline built from it ignores it.
	var buf bytes.Buffer
	if err := report.SARIF(&buf, cur, report.Options{}); err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{`"baselineState": "absent"`, `"baselineState": "new"`, `"baselineState": "updated"`, `"baselineState": "unchanged"`} {
		if !strings.Contains(buf.String(), s) {
			t.Errorf("SARIF lacks %s", s)
		}
	}
	b, err := SARIFFormat{}.Parse(context.Background(), "x", buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if len(b.Findings) != 4 {
		t.Errorf("baseline from a baselined run has %d findings, want 4 (absent ones dropped)", len(b.Findings))
	}
}

func TestDuplicateFingerprints(t *testing.T) {
	one := f("k8s/a", "ns/Pod/p", "m", "high", "p.yaml", 1, "c")
	path := writeSARIF(t, &finding.Report{ToolName: "kscan", Rules: rules("k8s/a"), Findings: []finding.Finding{one}})
	b, err := Load(context.Background(), path, DefaultFormats())
	if err != nil {
		t.Fatal(err)
	}
	two := one
	two.Location.File = "q.yaml" // same identity read from a second file
	cur := &finding.Report{Rules: rules("k8s/a"), Findings: []finding.Finding{one, two}}
	Apply(b, cur)
	if cur.Findings[0].BaselineState != StateUnchanged || cur.Findings[1].BaselineState != StateNew {
		t.Errorf("states = %q, %q; want unchanged, new", cur.Findings[0].BaselineState, cur.Findings[1].BaselineState)
	}
}

func TestBadBaseline(t *testing.T) {
	dir := t.TempDir()
	write := func(name, s string) string {
		p := filepath.Join(dir, name)
		os.WriteFile(p, []byte(s), 0o644)
		return p
	}
	tests := []struct {
		name, path, want string
	}{
		{"missing", filepath.Join(dir, "nope.sarif"), "cannot read"},
		{"not a baseline", write("x.yaml", "apiVersion: v1\n"), "not a baseline kscan can read"},
		{"broken JSON", write("b.sarif", `{"version": "2.1.0", "runs": [`), "invalid JSON"},
		{"foreign SARIF", write("f.sarif", `{"version": "2.1.0", "runs": [{"results": [{"ruleId": "x", "message": {"text": "m"}}]}]}`), "partialFingerprints"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := &finding.Report{}
			if err := New(Options{Path: tt.path}).Process(context.Background(), nil, r); err != nil {
				t.Fatal(err)
			}
			if !r.Incomplete() || len(r.Notifications) != 1 {
				t.Fatalf("notifications = %+v, want one error", r.Notifications)
			}
			n := r.Notifications[0]
			if n.Location.File != tt.path || !strings.Contains(n.Message, tt.want) {
				t.Errorf("got %+v, want file %s and %q", n, tt.path, tt.want)
			}
		})
	}
}

// otherFormat shows the hook for further baseline formats.
type otherFormat struct{}

func (otherFormat) Name() string            { return "snapshot" }
func (otherFormat) Detect(data []byte) bool { return bytes.HasPrefix(data, []byte("SNAP")) }
func (otherFormat) Parse(_ context.Context, _ string, data []byte) (*Baseline, error) {
	return &Baseline{Findings: []finding.Finding{{RuleID: "k8s/a", Fingerprint: strings.TrimSpace(string(data[4:]))}}}, nil
}

func TestExtraFormat(t *testing.T) {
	x := f("k8s/a", "ns/Pod/p", "m", "high", "p.yaml", 1, "c")
	p := filepath.Join(t.TempDir(), "snap")
	os.WriteFile(p, []byte("SNAP"+x.Fingerprint), 0o644)
	r := &finding.Report{Rules: rules("k8s/a"), Findings: []finding.Finding{x}}
	if err := New(Options{Path: p, Formats: append(DefaultFormats(), otherFormat{})}).Process(context.Background(), nil, r); err != nil {
		t.Fatal(err)
	}
	if r.Incomplete() || r.Findings[0].BaselineState != StateUnchanged {
		t.Errorf("got %+v / %+v", r.Findings, r.Notifications)
	}
}

// BenchmarkApply: a 10,000-finding scan against a 10,000-finding SARIF
// baseline (load and match).
func BenchmarkApply(b *testing.B) {
	var prev, cur []finding.Finding
	for i := 0; i < 10000; i++ {
		res := fmt.Sprintf("ns%d/Deployment/app%d", i%50, i)
		prev = append(prev, f("k8s/a", res, "m", "high", "a.yaml", i, "c"))
		cur = append(cur, f("k8s/a", res, "m", "high", "a.yaml", i+3, "c"))
	}
	var buf bytes.Buffer
	report.SARIF(&buf, &finding.Report{ToolName: "kscan", Rules: rules("k8s/a"), Findings: prev}, report.Options{})
	path := filepath.Join(b.TempDir(), "p.sarif")
	os.WriteFile(path, buf.Bytes(), 0o644)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		r := &finding.Report{Rules: rules("k8s/a"), Findings: append([]finding.Finding(nil), cur...)}
		if err := New(Options{Path: path}).Process(context.Background(), nil, r); err != nil || r.Incomplete() {
			b.Fatal(err, r.Notifications)
		}
	}
}

// A baseline written before k8s/public-loadbalancer became a case of
// k8s/internet-exposed matches the renamed findings by their former
// fingerprint, and a former finding that is gone is absent.
func TestFormerRuleID(t *testing.T) {
	const old, now = "k8s/public-loadbalancer", "k8s/internet-exposed"
	msg := "Service shop/web is a public load balancer open to everyone (no loadBalancerSourceRanges), exposing shop/Deployment/web"
	prev := &finding.Report{ToolName: "kscan", ToolVersion: "old", Rules: rules(old), Findings: []finding.Finding{
		f(old, "shop/Service/web", msg, "high", "web.yaml", 1, "public"),
		f(old, "shop/Service/gone", "gone", "high", "gone.yaml", 1, "public"),
	}}
	path := writeSARIF(t, prev)
	renamed := f(now, "shop/Service/web", msg, "high", "web.yaml", 1, "public")
	renamed.Aliases = []string{old}
	renamed.LegacyFingerprints = []string{finding.Fingerprint(old, "shop/Service/web", "public")}
	cur := &finding.Report{Rules: []finding.Rule{{ID: now, Aliases: []string{old}}}, Findings: []finding.Finding{
		renamed,
		f(now, "shop/Ingress/web", "new case", "low", "ing.yaml", 1, "ingress"),
	}}
	if err := New(Options{Path: path}).Process(context.Background(), nil, cur); err != nil {
		t.Fatal(err)
	}
	if s := cur.Findings[0].BaselineState; s != StateUnchanged {
		t.Errorf("renamed finding: state %q, want unchanged", s)
	}
	if s := cur.Findings[1].BaselineState; s != StateNew {
		t.Errorf("new case: state %q, want new", s)
	}
	if len(cur.Absent) != 1 || cur.Absent[0].Resource != "shop/Service/gone" {
		t.Errorf("absent = %+v, want shop/Service/gone", cur.Absent)
	}
}
