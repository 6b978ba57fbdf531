package pss

import (
	"fmt"
	"sort"
	"strings"
	"testing"

	"k8s.io/pod-security-admission/api"
	"k8s.io/pod-security-admission/policy"
	"sigs.k8s.io/yaml"

	"github.com/kscan-io/kscan/internal/psstest"
)

// TestEveryCheckHasAControl: a check the library adds must be named in
// checkControls and listed in the framework catalogues.
func TestEveryCheckHasAControl(t *testing.T) {
	for _, c := range policy.DefaultChecks() {
		if _, ok := checkControls[c.ID]; !ok {
			t.Errorf("check %s (%s) has no control in checkControls", c.ID, c.Level)
		}
	}
}

// TestFixtures: for every fixture Kubernetes ships, at its level and
// version, the per-check evaluation gives the fixture's verdict and the same
// verdict and message as the library's own evaluator.
func TestFixtures(t *testing.T) {
	e, err := NewEvaluator()
	if err != nil {
		t.Fatal(err)
	}
	type tally struct{ agree, total int }
	counts := map[string]*tally{}
	var keys []string
	for _, f := range psstest.All(t) {
		obj := map[string]any{}
		if err := yaml.Unmarshal(f.Data, &obj); err != nil {
			t.Fatalf("%s: %v", f.Path, err)
		}
		tmpl, ok, err := Template(obj)
		if err != nil || !ok {
			t.Errorf("%s: template: ok=%v %v", f.Path, ok, err)
			continue
		}
		v, err := e.Resolve(f.Version)
		if err != nil {
			t.Fatal(err)
		}
		lvl := api.Level(f.Level)
		failed := e.Evaluate(v, tmpl).Failed(lvl)
		allowed, msg := e.Library(api.LevelVersion{Level: lvl, Version: v}, tmpl)
		k := f.Level + " " + f.Version
		if counts[k] == nil {
			counts[k] = &tally{}
			keys = append(keys, k)
		}
		counts[k].total++
		if (len(failed) == 0) == f.Pass {
			counts[k].agree++
		} else {
			t.Errorf("%s: want pass=%v, got failures %v", f.Path, f.Pass, failed)
		}
		if allowed != (len(failed) == 0) || msg != aggregate(failed) {
			t.Errorf("%s: library says allowed=%v %q, kscan %q", f.Path, allowed, msg, aggregate(failed))
		}
	}
	sort.SliceStable(keys, func(i, j int) bool {
		a, b := strings.Fields(keys[i]), strings.Fields(keys[j])
		if a[0] != b[0] {
			return a[0] < b[0]
		}
		return psstest.Minor(a[1]) < psstest.Minor(b[1])
	})
	var b strings.Builder
	for _, k := range keys {
		fmt.Fprintf(&b, "%s %d/%d; ", k, counts[k].agree, counts[k].total)
	}
	t.Log(b.String())
}

func TestResolve(t *testing.T) {
	e, err := NewEvaluator()
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		in, want string
		err      bool
	}{
		{"", e.MaxVersion().String(), false},
		{"latest", e.MaxVersion().String(), false},
		{"v1.25", "v1.25", false},
		{"v1.99", e.MaxVersion().String(), false},
		{"1.25", "", true},
		{"v2.0", "", true},
	} {
		v, err := e.Resolve(tc.in)
		if (err != nil) != tc.err || (err == nil && v.String() != tc.want) {
			t.Errorf("Resolve(%q) = %v, %v; want %q err=%v", tc.in, v, err, tc.want, tc.err)
		}
	}
	if vs := e.Versions(); vs[0] != "latest" || vs[1] != "v1.0" || vs[len(vs)-1] != e.MaxVersion().String() {
		t.Errorf("Versions() = %v", vs)
	}
}
