package iam

import (
	"context"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/kscan-io/kscan/graph"
	"github.com/kscan-io/kscan/iampolicy"
	"github.com/kscan-io/kscan/internal/repotest"
)

// evalFile collects an authorization-details file offline and enriches the
// graph as enrich.Graph does.
func evalFile(t *testing.T, path string) *graph.Graph {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !(Handler{}).Match(path, data) {
		t.Fatalf("%s not recognised as authorization details", path)
	}
	g := graph.New()
	if err := (Handler{}).Collect(context.Background(), filepath.Base(path), data, g); err != nil {
		t.Fatal(err)
	}
	iampolicy.Enrich(g, iampolicy.EnrichOptions{Now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)})
	return g
}

func principalName(n *graph.Node) string {
	for _, k := range []string{"UserName", "GroupName", "RoleName"} {
		if s, ok := n.Object[k].(string); ok {
			return strings.TrimPrefix(strings.TrimPrefix(n.Type, "aws:iam/"), "") + ":" + s
		}
	}
	return n.ID
}

func admins(g *graph.Graph) []string {
	var out []string
	for _, n := range g.Nodes() {
		if a, _ := n.Attrs["admin"].(bool); a {
			out = append(out, principalName(n))
		}
	}
	sort.Strings(out)
	return out
}

func escalators(g *graph.Graph) map[string][]string {
	out := map[string][]string{}
	for _, n := range g.Nodes() {
		esc, _ := n.Attrs["escalations"].([]any)
		for _, e := range esc {
			out[principalName(n)] = append(out[principalName(n)], e.(map[string]any)["path"].(string))
		}
	}
	return out
}

// TestCloudsplainingAdmins checks the admin verdicts the conformance README
// gives for Cloudsplaining's demo account, including the fp2 Allow+Deny case.
func TestCloudsplainingAdmins(t *testing.T) {
	tests := []struct {
		file string
		want []string
	}{
		{"cloudsplaining/examples/files/example.json", []string{
			"Group:admin",
			"Role:AWS-QuickSetup-StackSet-Local-ExecutionRole",
			"Role:AWSReservedSSO_AdministratorAccess_dc6414f7f2ab04fc",
			"Role:OrganizationAccountAccessRole",
			"Role:privesc-AssumeRole-ending-role",
			"Role:privesc-high-priv-service-role",
			"Role:stacksets-exec-b5520cb2730c2f54b523d6375a319abb",
			"User:obama",
			"User:userwithlotsofpermissions",
		}},
		{"cloudsplaining/test/files/example-authz-details.json", []string{"Group:admin", "User:obama", "User:userwithlotsofpermissions"}},
	}
	for _, tc := range tests {
		t.Run(filepath.Base(tc.file), func(t *testing.T) {
			g := evalFile(t, repotest.Conformance(t, tc.file))
			if errs := g.Errors(); len(errs) > 0 {
				t.Errorf("unexpected input errors: %v", errs)
			}
			got := admins(g)
			if strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
				t.Errorf("admin principals:\n got %q\nwant %q", got, tc.want)
			}
		})
	}
}

// TestCloudsplainingEscalation checks the escalation catalogue principals:
// the privesc1-21 techniques and the false negatives fn1-4 escalate; the
// false positives fp1-5 (Deny, AWS-managed resources, expired conditions)
// do not.
func TestCloudsplainingEscalation(t *testing.T) {
	g := evalFile(t, repotest.Conformance(t, "cloudsplaining/examples/files/example.json"))
	esc := escalators(g)
	tests := []struct {
		name string
		want bool
	}{}
	for i := 1; i <= 21; i++ {
		tests = append(tests, struct {
			name string
			want bool
		}{prefixed("privesc", i), true})
	}
	for i := 1; i <= 4; i++ {
		tests = append(tests, struct {
			name string
			want bool
		}{prefixed("fn", i), true})
	}
	for i := 1; i <= 5; i++ {
		tests = append(tests, struct {
			name string
			want bool
		}{prefixed("fp", i), false})
	}
	for _, tc := range tests {
		for _, kind := range []string{"User", "Role"} {
			found := false
			for _, n := range g.Nodes() {
				pn := principalName(n)
				if !strings.HasPrefix(pn, kind+":"+tc.name) {
					continue
				}
				if kind == "User" && tc.name == "privesc11-" && strings.HasSuffix(pn, "-group") {
					continue
				}
				found = true
				if got := len(esc[pn]) > 0; got != tc.want {
					t.Errorf("%s: escalation = %v (%v), want %v", pn, got, esc[pn], tc.want)
				}
			}
			if !found {
				t.Errorf("no %s named %s* in the corpus", kind, tc.name)
			}
		}
	}
}

func prefixed(p string, i int) string {
	return p + itoa(i) + "-"
}

func itoa(i int) string {
	if i < 10 {
		return string(rune('0' + i))
	}
	return itoa(i/10) + string(rune('0'+i%10))
}
