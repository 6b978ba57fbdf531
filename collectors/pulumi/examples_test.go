package pulumi_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kscan-io/kscan/internal/repotest"
	"github.com/kscan-io/kscan/policies"
	"github.com/kscan-io/kscan/policies/builtins"
)

// ownRules are the rules this collector's issue added.
var ownRules = map[string]bool{
	"aws/security-group-open-ingress": true, "aws/public-s3-bucket": true, "aws/internet-facing-lb": true,
	"registry/mutable-tags": true, "registry/scan-on-push-disabled": true,
	"pulumi/plaintext-secret": true, "pulumi/drift": true, "pulumi/unmanaged": true,
}

// TestRuleExamples checks the examples shipped with the aws/, pulumi/ and
// registry/ rules of the Pulumi issue (shown by `kscan rules show`): every failure.* example
// gives a finding of its rule, every success.* example none.
func TestRuleExamples(t *testing.T) {
	e := loadEngine(t)
	n := 0
	for _, r := range e.Rules() {
		if !ownRules[r.ID] {
			continue
		}
		dir := filepath.Join(repotest.Root(), strings.TrimSuffix(r.File, ".rego"))
		dir = filepath.Join(filepath.Dir(dir), "testdata", filepath.Base(dir))
		files, _ := filepath.Glob(filepath.Join(dir, "*.json"))
		if len(files) == 0 {
			t.Errorf("%s: no examples in %s", r.ID, dir)
		}
		for _, f := range files {
			n++
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			var v any
			if err := json.Unmarshal(data, &v); err != nil {
				t.Fatalf("%s: %v", f, err)
			}
			list, ok := v.([]any)
			if !ok {
				list = []any{v}
			}
			in, err := builtins.InputFromObjects(t.Context(), list)
			if err != nil {
				t.Fatalf("%s: %v", f, err)
			}
			fs, errs, err := e.Eval(context.Background(), in, []policies.Rule{r})
			if err != nil || len(errs) > 0 {
				t.Fatalf("%s: %v %v", f, err, errs)
			}
			failure := strings.HasPrefix(filepath.Base(f), "failure.")
			if failure && len(fs) == 0 {
				t.Errorf("%s: %s gives no finding", r.ID, filepath.Base(f))
			}
			if !failure && len(fs) > 0 {
				t.Errorf("%s: %s gives %d findings: %s", r.ID, filepath.Base(f), len(fs), fs[0].Message)
			}
		}
	}
	if n < 2*len(ownRules) {
		t.Fatalf("only %d examples checked", n)
	}
}
