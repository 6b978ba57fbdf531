package rbac_test

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/kscan-io/kscan/policies"
	"github.com/kscan-io/kscan/policies/builtins"
)

// TestDriftExamples runs the rbac/drift examples
// (policies/rules/rbac/testdata/drift): multi-document YAML of Kubernetes
// objects (the scanned state) and reference nodes (the desired state, as
// --desired adds them), which the manifest-based example test cannot read.
func TestDriftExamples(t *testing.T) {
	e, err := policies.Load(context.Background(), policies.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var rules []policies.Rule
	for _, r := range e.Rules() {
		if r.ID == "rbac/drift" {
			rules = append(rules, r)
		}
	}
	if len(rules) != 1 {
		t.Fatal("rule rbac/drift not found")
	}
	files, err := filepath.Glob("../policies/rules/rbac/testdata/drift/*.yaml")
	if err != nil || len(files) < 2 {
		t.Fatalf("examples: %v %v", files, err)
	}
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			var objs []any
			dec := yaml.NewDecoder(strings.NewReader(string(data)))
			for {
				var o map[string]any
				if err := dec.Decode(&o); err == io.EOF {
					break
				} else if err != nil {
					t.Fatal(err)
				}
				objs = append(objs, o)
			}
			in, err := builtins.InputFromObjects(t.Context(), objs)
			if err != nil {
				t.Fatal(err)
			}
			fs, ruleErrs, err := e.Eval(context.Background(), in, rules)
			if err != nil || len(ruleErrs) > 0 {
				t.Fatalf("eval: %v %v", err, ruleErrs)
			}
			want := strings.HasPrefix(filepath.Base(file), "failure.")
			if (len(fs) > 0) != want {
				t.Errorf("want findings %v, got %d: %v", want, len(fs), fs)
			}
		})
	}
}
