package policies

import (
	"context"
	"strings"
	"testing"

	"github.com/open-policy-agent/opa/v1/rego"
)

// The string-multiplying built-ins refuse a result past MaxBuiltinResult
// before building it, and give OPA's own result otherwise.
func TestBoundedBuiltins(t *testing.T) {
	Capabilities() // installs the bounds
	big := `concat("", [x | some _ in numbers.range(1, 20000); x := "ab"])`
	for _, tc := range []struct {
		name, query, want, err string
	}{
		{"replace", `x := replace("a-b-c", "-", "+")`, `"a+b+c"`, ""},
		{"replace empty old", `x := replace("ab", "", "-")`, `"-a-b-"`, ""},
		{"replace squared", `s := ` + big + `; x := replace(s, "a", s)`, "", "replace: the result would be"},
		{"replace_n", `x := strings.replace_n({"a": "1", "b": "22"}, "abc")`, `"122c"`, ""},
		{"replace_n squared", `s := ` + big + `; x := strings.replace_n({"a": s}, s)`, "", "strings.replace_n: the result would be"},
		{"regex.replace", `x := regex.replace("k8s-v1", "v([0-9])", "version-$1")`, `"k8s-version-1"`, ""},
		{"regex.replace expands", `s := ` + big + `; x := regex.replace(s, "(a)", concat("", ["${1}", s]))`, "", "regex.replace: the result would be"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rs, err := rego.New(rego.Query(tc.query), rego.Capabilities(Capabilities()), rego.StrictBuiltinErrors(true)).Eval(context.Background())
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil || len(rs) != 1 {
				t.Fatalf("err %v, results %v", err, rs)
			}
			got, _ := rs[0].Bindings["x"].(string)
			if `"`+got+`"` != tc.want {
				t.Errorf("got %q, want %s", got, tc.want)
			}
		})
	}
}
