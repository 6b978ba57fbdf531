package suppress

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kscan-io/kscan/finding"
	"github.com/kscan-io/kscan/graph"
)

func node(t *testing.T, g *graph.Graph, file string, line int, obj map[string]any) *graph.Node {
	t.Helper()
	n := graph.NewK8sNode(obj, graph.Source{Kind: graph.SourceFile, File: file, Line: line}, "")
	g.AddNode(n)
	return n
}

func deployment(name, ns string, objAnn, podAnn map[string]any) map[string]any {
	meta := map[string]any{"name": name, "namespace": ns}
	if objAnn != nil {
		meta["annotations"] = objAnn
	}
	tmeta := map[string]any{"labels": map[string]any{"app": name}}
	if podAnn != nil {
		tmeta["annotations"] = podAnn
	}
	return map[string]any{
		"apiVersion": "apps/v1", "kind": "Deployment", "metadata": meta,
		"spec": map[string]any{"template": map[string]any{"metadata": tmeta, "spec": map[string]any{}}},
	}
}

func findingOn(n *graph.Node, rule string) finding.Finding {
	return finding.Finding{RuleID: rule, Severity: "high", Resource: n.ID, Location: finding.LocationOf(n.Source), Message: rule + " on " + n.ID}
}

func report(fs ...finding.Finding) *finding.Report {
	return &finding.Report{Findings: fs, Rules: []finding.Rule{
		{ID: "k8s/run-as-root"}, {ID: "k8s/writable-root-fs"}, {ID: "k8s/privileged-container"},
	}}
}

func writeFile(t *testing.T, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), ".kscanignore.yaml")
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

var fixedNow = func() time.Time { return time.Date(2026, 6, 15, 12, 0, 0, 0, time.UTC) }

func TestInline(t *testing.T) {
	tests := []struct {
		name       string
		objAnn     map[string]any
		podAnn     map[string]any
		noInline   bool
		wantSupp   map[string]string // rule -> justification ("" = active)
		wantWarnIn string
	}{
		{
			name:     "object annotation, two rules",
			objAnn:   map[string]any{AnnotationIgnore: "k8s/run-as-root, k8s/writable-root-fs", AnnotationReason: "vendor image"},
			wantSupp: map[string]string{"k8s/run-as-root": "vendor image", "k8s/writable-root-fs": "vendor image", "k8s/privileged-container": ""},
		},
		{
			name:     "pod template annotation",
			podAnn:   map[string]any{AnnotationIgnore: "k8s/privileged-container", AnnotationReason: "CNI agent"},
			wantSupp: map[string]string{"k8s/run-as-root": "", "k8s/writable-root-fs": "", "k8s/privileged-container": "CNI agent"},
		},
		{
			name:     "glob",
			objAnn:   map[string]any{AnnotationIgnore: "k8s/*", AnnotationReason: "sandbox"},
			wantSupp: map[string]string{"k8s/run-as-root": "sandbox", "k8s/writable-root-fs": "sandbox", "k8s/privileged-container": "sandbox"},
		},
		{
			name:     "--no-inline-ignores",
			objAnn:   map[string]any{AnnotationIgnore: "k8s/run-as-root", AnnotationReason: "vendor image"},
			noInline: true,
			wantSupp: map[string]string{"k8s/run-as-root": "", "k8s/writable-root-fs": "", "k8s/privileged-container": ""},
		},
		{
			name:       "no reason still applies but warns",
			objAnn:     map[string]any{AnnotationIgnore: "k8s/run-as-root"},
			wantSupp:   map[string]string{"k8s/run-as-root": "no reason given (kscan.io/ignore-reason is missing)", "k8s/writable-root-fs": "", "k8s/privileged-container": ""},
			wantWarnIn: "without kscan.io/ignore-reason",
		},
		{
			name:       "unknown rule id warns",
			objAnn:     map[string]any{AnnotationIgnore: "k8s/run-as-rot", AnnotationReason: "typo"},
			wantSupp:   map[string]string{"k8s/run-as-root": "", "k8s/writable-root-fs": "", "k8s/privileged-container": ""},
			wantWarnIn: `unknown rule "k8s/run-as-rot"`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := graph.New()
			n := node(t, g, "app.yaml", 3, deployment("web", "shop", tt.objAnn, tt.podAnn))
			other := node(t, g, "app.yaml", 30, deployment("api", "shop", nil, nil))
			r := report(findingOn(n, "k8s/run-as-root"), findingOn(n, "k8s/writable-root-fs"), findingOn(n, "k8s/privileged-container"), findingOn(other, "k8s/run-as-root"))
			p := New(Options{File: filepath.Join(t.TempDir(), "absent.yaml"), NoInline: tt.noInline, Now: fixedNow})
			if err := p.Process(context.Background(), g, r); err != nil {
				t.Fatal(err)
			}
			for _, f := range r.Findings {
				if f.Resource == other.ID {
					if f.Suppression != nil {
						t.Errorf("finding on another resource suppressed: %+v", f)
					}
					continue
				}
				want := tt.wantSupp[f.RuleID]
				switch {
				case want == "" && f.Suppression != nil:
					t.Errorf("%s suppressed, want active", f.RuleID)
				case want != "" && f.Suppression == nil:
					t.Errorf("%s active, want suppressed", f.RuleID)
				case want != "" && (f.Suppression.Kind != KindInSource || f.Suppression.Justification != want):
					t.Errorf("%s suppression = %+v, want inSource %q", f.RuleID, f.Suppression, want)
				}
			}
			warned := false
			for _, no := range r.Notifications {
				if no.Level == "error" {
					t.Errorf("unexpected error %+v", no)
				}
				if tt.wantWarnIn != "" && strings.Contains(no.Message, tt.wantWarnIn) {
					warned = true
					if no.Location.File != "app.yaml" || no.Resource != n.ID {
						t.Errorf("warning not located at the resource: %+v", no)
					}
				}
			}
			if tt.wantWarnIn != "" && !warned {
				t.Errorf("no warning containing %q in %+v", tt.wantWarnIn, r.Notifications)
			}
		})
	}
}

func TestFile(t *testing.T) {
	g := graph.New()
	web := node(t, g, "k8s/web.yaml", 1, deployment("web", "payments", nil, nil))
	api := node(t, g, "legacy/api.yaml", 1, deployment("api", "payments", nil, nil))
	cache := node(t, g, "k8s/cache.yaml", 1, deployment("cache", "cache", nil, nil))
	file := writeFile(t, `ignores:
  - rule: k8s/run-as-root
    resource: payments/Deployment/*
    reason: payments images run as uid 0 until TICKET-1
    expires: 2026-12-31
  - rule: k8s/writable-root-fs
    resource: "*"
    source: legacy/*
    reason: legacy apps write to /tmp
  - rule: k8s/privileged-container
    resource: cache/Deployment/cache
    reason: expired waiver
    expires: 2026-06-14
  - rule: k8s/run-as-root
    resource: nothing/Deployment/gone
    reason: stale entry
  - rule: k8s/no-such-rule
    reason: typo
`)
	r := report(
		findingOn(web, "k8s/run-as-root"), findingOn(api, "k8s/run-as-root"), findingOn(cache, "k8s/run-as-root"),
		findingOn(web, "k8s/writable-root-fs"), findingOn(api, "k8s/writable-root-fs"),
		findingOn(cache, "k8s/privileged-container"),
	)
	if err := New(Options{File: file, Required: true, Now: fixedNow}).Process(context.Background(), g, r); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"k8s/run-as-root " + web.ID:            "payments images run as uid 0 until TICKET-1",
		"k8s/run-as-root " + api.ID:            "payments images run as uid 0 until TICKET-1",
		"k8s/run-as-root " + cache.ID:          "",
		"k8s/writable-root-fs " + web.ID:       "",
		"k8s/writable-root-fs " + api.ID:       "legacy apps write to /tmp",
		"k8s/privileged-container " + cache.ID: "",
	}
	for _, f := range r.Findings {
		w := want[f.RuleID+" "+f.Resource]
		got := ""
		if f.Suppression != nil {
			if f.Suppression.Kind != KindExternal {
				t.Errorf("%s %s: kind %q, want external", f.RuleID, f.Resource, f.Suppression.Kind)
			}
			got = f.Suppression.Justification
		}
		if got != w {
			t.Errorf("%s %s: justification %q, want %q", f.RuleID, f.Resource, got, w)
		}
	}
	wantNotes := []struct {
		line int
		text string
	}{
		{10, "expired on 2026-06-14"},
		{14, "matched no finding"},
		{17, `"k8s/no-such-rule" matches no known rule`},
	}
	for _, wn := range wantNotes {
		found := false
		for _, n := range r.Notifications {
			if n.Location.File == file && n.Location.Line == wn.line && strings.Contains(n.Message, wn.text) && n.Level == "warning" {
				found = true
			}
		}
		if !found {
			t.Errorf("no warning at line %d containing %q; got %+v", wn.line, wn.text, r.Notifications)
		}
	}
	if r.Incomplete() {
		t.Errorf("warnings made the scan incomplete: %+v", r.Notifications)
	}
	counts, suppressed := r.Counts()
	if suppressed != 3 || counts["high"] != 3 {
		t.Errorf("counts = %v suppressed %d, want 3 high and 3 suppressed", counts, suppressed)
	}
}

func TestMalformedFile(t *testing.T) {
	tests := []struct {
		name     string
		content  string
		line     int
		text     string
		nEntries int // entries still applied
	}{
		{"invalid YAML", "ignores:\n  - rule: a\n    reason: [x\n", 3, "invalid YAML", -1},
		{"missing reason", "ignores:\n  - rule: k8s/run-as-root\n    resource: a/B/c\n  - rule: k8s/writable-root-fs\n    reason: ok\n", 2, "no reason", 1},
		{"unknown key", "ignores:\n  - rule: k8s/run-as-root\n    reason: r\n    expire: 2026-01-01\n", 4, `unknown key "expire"`, 0},
		{"bad date", "ignores:\n  - rule: k8s/run-as-root\n    reason: r\n    expires: next week\n", 4, "not a date", 0},
		{"not a list", "ignores: yes\n", 1, "not a list", -1},
		{"unknown top-level key", "ignore:\n  - rule: x\n", 1, `unknown key "ignore"`, -1},
		{"entry without rule or resource", "ignores:\n  - reason: r\n", 2, "needs a rule or a resource", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			file := writeFile(t, tt.content)
			entries, notes := LoadFile(file, true)
			if len(notes) == 0 {
				t.Fatalf("no error for %q", tt.content)
			}
			n := notes[0]
			if n.Level != "error" || n.Location.File != file || n.Location.Line != tt.line || !strings.Contains(n.Message, tt.text) {
				t.Errorf("got %+v, want error at line %d containing %q", n, tt.line, tt.text)
			}
			if tt.nEntries < 0 && entries != nil {
				t.Errorf("entries = %v, want none", entries)
			}
			if tt.nEntries >= 0 && len(entries) != tt.nEntries {
				t.Errorf("%d entries kept, want %d", len(entries), tt.nEntries)
			}
		})
	}
	t.Run("missing explicit file", func(t *testing.T) {
		_, notes := LoadFile(filepath.Join(t.TempDir(), "nope.yaml"), true)
		if len(notes) != 1 || notes[0].Level != "error" {
			t.Errorf("got %+v, want one error", notes)
		}
	})
	t.Run("missing default file is fine", func(t *testing.T) {
		e, notes := LoadFile(filepath.Join(t.TempDir(), "nope.yaml"), false)
		if e != nil || notes != nil {
			t.Errorf("got %v %v", e, notes)
		}
	})
}

func TestExpiry(t *testing.T) {
	e := Entry{Expires: time.Date(2026, 6, 15, 0, 0, 0, 0, time.UTC)}
	for _, tt := range []struct {
		now  time.Time
		want bool
	}{
		{time.Date(2026, 6, 14, 23, 0, 0, 0, time.UTC), false},
		{time.Date(2026, 6, 15, 23, 59, 0, 0, time.UTC), false}, // applies through the day
		{time.Date(2026, 6, 16, 0, 0, 0, 0, time.UTC), true},
	} {
		if got := e.Expired(tt.now); got != tt.want {
			t.Errorf("Expired(%v) = %v, want %v", tt.now, got, tt.want)
		}
	}
	if (Entry{}).Expired(time.Now()) {
		t.Error("entry without expires expired")
	}
}

// A rule that exists but did not run (--rules, --framework) is not
// "unknown", and is looked up only when needed.
func TestKnownRulesLookup(t *testing.T) {
	file := writeFile(t, "ignores:\n  - rule: rbac/wildcard-rule\n    reason: r\n  - rule: k8s/run-as-root\n    reason: r\n")
	calls := 0
	for _, tt := range []struct {
		name  string
		known []string
		warn  bool
	}{
		{"exists", []string{"rbac/wildcard-rule", "k8s/run-as-root"}, false},
		{"typo", []string{"k8s/run-as-root"}, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := report()
			p := New(Options{File: file, Now: fixedNow, KnownRules: func() []string { calls++; return tt.known }})
			if err := p.Process(context.Background(), graph.New(), r); err != nil {
				t.Fatal(err)
			}
			warned := false
			for _, n := range r.Notifications {
				if strings.Contains(n.Message, "matches no known rule") {
					warned = true
				}
			}
			if warned != tt.warn {
				t.Errorf("unknown-rule warning = %v, want %v: %+v", warned, tt.warn, r.Notifications)
			}
		})
	}
	if calls != 2 {
		t.Errorf("KnownRules called %d times, want once per scan", calls)
	}
}

// BenchmarkProcess: 10,000 findings on 2,000 annotated workloads against an
// ignore file of 100 entries.
func BenchmarkProcess(b *testing.B) {
	g := graph.New()
	var fs []finding.Finding
	for i := 0; i < 2000; i++ {
		ann := map[string]any{AnnotationIgnore: "k8s/writable-root-fs", AnnotationReason: "r"}
		n := graph.NewK8sNode(deployment("app"+strconv.Itoa(i), "ns"+strconv.Itoa(i%50), nil, ann), graph.Source{Kind: graph.SourceFile, File: "k8s/app.yaml", Line: i*30 + 1}, "")
		g.AddNode(n)
		for _, rule := range []string{"k8s/run-as-root", "k8s/writable-root-fs", "k8s/privileged-container", "k8s/run-as-root", "k8s/writable-root-fs"} {
			fs = append(fs, findingOn(n, rule))
		}
	}
	var sb strings.Builder
	sb.WriteString("ignores:\n")
	for i := 0; i < 100; i++ {
		sb.WriteString("  - rule: k8s/run-as-root\n    resource: ns" + strconv.Itoa(i) + "/Deployment/*\n    reason: r\n")
	}
	dir := b.TempDir()
	file := filepath.Join(dir, "ignore.yaml")
	os.WriteFile(file, []byte(sb.String()), 0o644)
	p := New(Options{File: file, Now: fixedNow})
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		r := report(append([]finding.Finding(nil), fs...)...)
		if err := p.Process(context.Background(), g, r); err != nil {
			b.Fatal(err)
		}
	}
}

// A rule's former id (k8s/public-loadbalancer, now a case of
// k8s/internet-exposed) still suppresses the findings reported under it, in
// an ignore file and in an annotation, and only those.
func TestFormerRuleIDs(t *testing.T) {
	g := graph.New()
	svc := node(t, g, "k8s/web.yaml", 1, map[string]any{"apiVersion": "v1", "kind": "Service",
		"metadata": map[string]any{"name": "web", "namespace": "shop", "annotations": map[string]any{
			AnnotationIgnore: "k8s/public-loadbalancer", AnnotationReason: "CDN in front"}}})
	ing := node(t, g, "k8s/ing.yaml", 1, map[string]any{"apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
		"metadata": map[string]any{"name": "web", "namespace": "shop"}})
	lbOld := findingOn(svc, "k8s/internet-exposed")
	lbOld.Aliases = []string{"k8s/public-loadbalancer"}
	lbFile := lbOld
	lbFile.Resource = "other/Service/lb"
	ingF := findingOn(ing, "k8s/internet-exposed")
	r := &finding.Report{Findings: []finding.Finding{lbOld, lbFile, ingF},
		Rules: []finding.Rule{{ID: "k8s/internet-exposed", Aliases: []string{"k8s/public-loadbalancer"}}}}
	file := writeFile(t, `ignores:
  - rule: k8s/public-loadbalancer
    resource: "*"
    reason: load balancers are fronted by the WAF
`)
	if err := New(Options{File: file, Required: true, Now: fixedNow}).Process(context.Background(), g, r); err != nil {
		t.Fatal(err)
	}
	if s := r.Findings[0].Suppression; s == nil || s.Kind != KindInSource {
		t.Errorf("annotation naming the former id: suppression %+v, want inSource", s)
	}
	if s := r.Findings[1].Suppression; s == nil || s.Justification != "load balancers are fronted by the WAF" {
		t.Errorf("ignore entry naming the former id: suppression %+v", s)
	}
	if s := r.Findings[2].Suppression; s != nil {
		t.Errorf("the Ingress case never was k8s/public-loadbalancer, but is suppressed: %+v", s)
	}
	for _, n := range r.Notifications {
		if strings.Contains(n.Message, "unknown rule") || strings.Contains(n.Message, "no known rule") {
			t.Errorf("former id reported as unknown: %s", n.Message)
		}
	}
}
