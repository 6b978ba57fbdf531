package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/kscan-io/kscan/finding"
)

// Real third-party manifests and charts (testdata/realworld, see its
// SOURCE.md) are scanned as a user would scan them. Every finding at medium or
// above and every input notification must be listed in the input's
// <name>.expected file with a reason it was reviewed; a finding that appears
// or disappears fails the test with a diff. After a rule change:
//
//	go test ./cmd/kscan -run RealWorld -update
//
// rewrites the files, keeping the reasons of lines that still match and
// marking new ones "TODO"; the test fails until each TODO is replaced by a
// reason (or the rule is fixed). Review `git diff testdata/realworld`.
var update = flag.Bool("update", false, "rewrite testdata/realworld/*.expected (new lines are marked TODO and still fail)")

var realWorldInputs = []struct {
	name string
	path string // relative to testdata/realworld
	args []string
}{
	// install.yaml has no namespaces: it is applied with kubectl apply -n argocd.
	{name: "argocd", path: "argocd", args: []string{"--namespace", "argocd"}},
	{name: "kube-prometheus", path: "kube-prometheus"},
	{name: "calico", path: "calico"},
	{name: "ingress-nginx", path: "ingress-nginx"},
	{name: "istio-bookinfo", path: "istio-bookinfo"},
	{name: "prometheus-chart", path: "prometheus-chart/prometheus", args: []string{"--helm-namespace", "monitoring"}},
}

const todo = "TODO"

func TestRealWorld(t *testing.T) {
	wd, _ := os.Getwd()
	root := filepath.Join(wd, "..", "..", "testdata", "realworld")
	for _, in := range realWorldInputs {
		t.Run(in.name, func(t *testing.T) {
			args := append([]string{"scan", "--format", "json", "--fail-on", "none"}, in.args...)
			args = append(args, in.path)
			code, out, errOut := kscan(t, root, "", args...)
			var rep struct {
				Findings []finding.Finding      `json:"findings"`
				Errors   []finding.Notification `json:"errors"`
				Warnings []finding.Notification `json:"warnings"`
			}
			if err := json.Unmarshal([]byte(out), &rep); err != nil {
				t.Fatalf("exit %d, not JSON: %v\n%s\n%s", code, err, out, errOut)
			}
			got := realWorldLines(rep.Findings, rep.Errors, rep.Warnings)
			if len(got) == 0 {
				t.Fatal("no findings and no notifications at all: the input was not scanned")
			}
			file := filepath.Join(root, in.name+".expected")
			want := readExpected(t, file)
			added, removed := diffExpected(got, want)
			if *update {
				writeExpected(t, file, in.name, got, want)
				want = readExpected(t, file)
			}
			for _, l := range want {
				if l.reason == "" || strings.HasPrefix(l.reason, todo) {
					t.Errorf("%s: not reviewed: %s", filepath.Base(file), l)
				}
			}
			if len(added)+len(removed) > 0 {
				var b strings.Builder
				for _, l := range removed {
					fmt.Fprintf(&b, "- %s\n", l.key)
				}
				for _, l := range added {
					fmt.Fprintf(&b, "+ %s   (%s)\n", l.key, l.reason)
				}
				if *update {
					t.Logf("%s rewritten; review these changes:\n%s", filepath.Base(file), b.String())
				} else {
					t.Errorf("findings differ from %s (review, then go test ./cmd/kscan -run RealWorld -update):\n%s", filepath.Base(file), b.String())
				}
			}
			wantCode := 0
			if len(rep.Errors) > 0 {
				wantCode = 2
			}
			if code != wantCode {
				t.Errorf("exit %d, want %d (%d input errors)\n%s", code, wantCode, len(rep.Errors), errOut)
			}
		})
	}
}

// expectedLine is one accepted finding or notification: the key the scan is
// compared on, and the reviewer's reason after " -- ".
type expectedLine struct {
	key    string
	reason string
}

func (l expectedLine) String() string { return l.key + " -- " + l.reason }

// realWorldLines lists active findings at medium or above as "<severity>
// <rule> <resource>" and notifications as "<level> <location>: <message>";
// reason holds the finding's message for the reviewer.
func realWorldLines(fs []finding.Finding, errs, warns []finding.Notification) []expectedLine {
	var out []expectedLine
	for _, f := range fs {
		if f.Suppression != nil || !finding.AtLeast(f.Severity, finding.Medium) {
			continue
		}
		out = append(out, expectedLine{key: f.Severity + " " + f.RuleID + " " + f.Resource, reason: f.Message})
	}
	for _, n := range append(slices.Clone(errs), warns...) {
		where := n.Location.String()
		if n.Resource != "" {
			where = strings.TrimSpace(where + " " + n.Resource)
		}
		out = append(out, expectedLine{key: n.Level + " " + where + ": " + oneLine(n.Message)})
	}
	slices.SortStableFunc(out, func(a, b expectedLine) int { return strings.Compare(a.key, b.key) })
	return out
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

func readExpected(t *testing.T, file string) []expectedLine {
	t.Helper()
	b, err := os.ReadFile(file)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	var out []expectedLine
	for _, l := range strings.Split(string(b), "\n") {
		if strings.TrimSpace(l) == "" || strings.HasPrefix(l, "#") {
			continue
		}
		key, reason, _ := strings.Cut(l, " -- ")
		out = append(out, expectedLine{key: strings.TrimSpace(key), reason: strings.TrimSpace(reason)})
	}
	return out
}

// diffExpected compares keys as multisets (several findings of one rule on
// one resource, e.g. one per container, are several lines).
func diffExpected(got, want []expectedLine) (added, removed []expectedLine) {
	left := map[string]int{}
	for _, w := range want {
		left[w.key]++
	}
	for _, g := range got {
		if left[g.key] > 0 {
			left[g.key]--
			continue
		}
		added = append(added, g)
	}
	seen := map[string]int{}
	for _, g := range got {
		seen[g.key]++
	}
	for _, w := range want {
		if seen[w.key] > 0 {
			seen[w.key]--
			continue
		}
		removed = append(removed, w)
	}
	return added, removed
}

// writeExpected writes got, reusing the reasons of matching lines of want;
// new lines get "TODO: <finding message>".
func writeExpected(t *testing.T, file, name string, got, want []expectedLine) {
	t.Helper()
	reasons := map[string][]string{}
	for _, w := range want {
		reasons[w.key] = append(reasons[w.key], w.reason)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "# Reviewed kscan results for testdata/realworld/%s: active findings at medium or above\n", name)
	b.WriteString("# (<severity> <rule> <resource>) and input notifications (<level> <location>: <message>),\n")
	b.WriteString("# each followed by \" -- \" and why it is right. Updated by go test ./cmd/kscan -run RealWorld -update.\n")
	for _, g := range got {
		reason := todo + ": " + oneLine(g.reason)
		if rs := reasons[g.key]; len(rs) > 0 {
			reason, reasons[g.key] = rs[0], rs[1:]
		}
		if reason == todo+": " {
			reason = todo
		}
		fmt.Fprintf(&b, "%s -- %s\n", g.key, reason)
	}
	if err := os.WriteFile(file, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
}
