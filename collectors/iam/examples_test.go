package iam_test

import (
	"context"
	"encoding/json"
	"sort"
	"strings"
	"testing"

	"github.com/kscan-io/kscan/policies"
	"github.com/kscan-io/kscan/policies/builtins"
)

// TestRuleExamples evaluates the examples of the iam/ and path/ rules
// (rules/<domain>/testdata/<rule>/{failure,success}.*.json: a list of
// Kubernetes objects and raw {"id","type","object"} nodes, as kscan.graph
// takes): a failure example must give a finding of its rule, a success
// example none.
func TestRuleExamples(t *testing.T) {
	e, err := policies.Load(context.Background(), policies.Options{})
	if err != nil {
		t.Fatal(err)
	}
	seen := 0
	for _, r := range e.Rules() {
		if !strings.HasPrefix(r.ID, "iam/") && !strings.HasPrefix(r.ID, "path/") {
			continue
		}
		seen++
		names := make([]string, 0, len(r.Examples))
		for n := range r.Examples {
			names = append(names, n)
		}
		sort.Strings(names)
		var fail, pass int
		for _, n := range names {
			want := strings.HasPrefix(n, "failure.")
			if want {
				fail++
			} else {
				pass++
			}
			t.Run(r.ID+"/"+n, func(t *testing.T) {
				var v any
				if err := json.Unmarshal([]byte(r.Examples[n]), &v); err != nil {
					t.Fatal(err)
				}
				list, ok := v.([]any)
				if !ok {
					list = []any{v}
				}
				in, err := builtins.InputFromObjects(t.Context(), list)
				if err != nil {
					t.Fatal(err)
				}
				fs, ruleErrs, err := e.Eval(context.Background(), in, []policies.Rule{r})
				if err != nil || len(ruleErrs) > 0 {
					t.Fatalf("eval: %v %v", err, ruleErrs)
				}
				if got := len(fs) > 0; got != want {
					t.Errorf("findings = %d, want finding: %v (%v)", len(fs), want, fs)
				}
			})
		}
		if fail == 0 || pass == 0 {
			t.Errorf("%s needs failure.* and success.* examples (has %d and %d)", r.ID, fail, pass)
		}
	}
	if seen != 9 {
		t.Errorf("found %d iam/ and path/ rules, want 9", seen)
	}
}
