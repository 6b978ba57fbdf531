package security

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// memoryRules are Rego bodies that each try to exhaust memory in one rule:
// a huge range, a comprehension building billions of pairs, and a string
// grown quadratically by replace.
var memoryRules = map[string]string{
	"range": `count(numbers.range(1, 10000000000)) > 0`,
	"pairs": `count([[i, j] | some i in numbers.range(1, 100000); some j in numbers.range(1, 100000)]) > 0`,
	"replace": `s := concat("", [x | some _ in numbers.range(1, 100000); x := "a"])
	count(replace(s, "a", s)) > 0`,
}

// namesBound says whether a run's output names the bound that stopped the
// rule: the memory budget, or the size limit of a string-multiplying
// built-in (replace), which is checked before the result is built.
func namesBound(out string) bool {
	return strings.Contains(out, "exceeded the memory budget") || strings.Contains(out, "MiB, more than the limit of")
}

// customRule is a --policy rule with the given deny body.
func customRule(id, body string) string {
	return fmt.Sprintf(`# METADATA
# title: Hungry
# description: allocates without bound
# custom:
#   id: custom/%s
#   severity: low
package kscan.rules.custom.%s

deny contains {"key": "x", "message": "m"} if {
	%s
}
`, id, id, body)
}

// Attack: a --policy rule (a repository's own, with --repo-config) that
// allocates without bound crashed kscan out of memory, with no report. Now
// the rule is stopped when its evaluation has grown the heap by the memory
// budget: exit 2, the rule named, the other rules' findings in the report,
// under a 2 GiB RLIMIT_AS.
func TestRegoRuleMemoryBudget(t *testing.T) {
	for name, body := range memoryRules {
		t.Run(name, func(t *testing.T) {
			dir := tree(t, map[string]string{
				"k8s/pod.yaml":    privilegedPod,
				"pol/hungry.rego": customRule("hungry", body),
			})
			r := run(t, dir, runOpts{memKiB: 2 << 20, deadline: 120 * time.Second},
				"scan", "--policy", "pol", "--format", "sarif", "--output", "out.sarif", "k8s")
			if r.code != 2 || !strings.Contains(r.stderr, "custom/hungry") || !namesBound(r.stderr) {
				t.Errorf("exit %d after %s, want 2 naming custom/hungry and the bound:\n%s", r.code, r.took, tail(r.stderr))
			}
			ids, ok := sarifResults(t, filepath.Join(dir, "out.sarif"))
			if !strings.Contains(strings.Join(ids, " "), "k8s/privileged-container") {
				t.Errorf("the other rules' findings were lost: %v", ids)
			}
			if ok {
				t.Error("the SARIF run claims a successful execution")
			}
		})
	}
}

// The same budget bounds kscan query expressions and kscan policy test.
func TestRegoQueryAndTestMemoryBudget(t *testing.T) {
	dir := tree(t, map[string]string{
		"k8s/pod.yaml":    privilegedPod,
		"pol/hungry.rego": customRule("hungry", memoryRules["range"]),
		"pol/hungry_test.rego": `package kscan.rules.custom.hungry_test

import data.kscan.rules.custom.hungry

test_hungry if {
	count(hungry.deny) > 0 with input as {}
}
`,
	})
	for name, args := range map[string][]string{
		"query":       {"query", `count([[i, j] | some i in numbers.range(1, 100000); some j in numbers.range(1, 100000)])`, "k8s"},
		"policy test": {"policy", "test", "--timeout", "60s", "pol"},
	} {
		t.Run(name, func(t *testing.T) {
			r := run(t, dir, runOpts{memKiB: 2 << 20, deadline: 120 * time.Second}, args...)
			if r.code != 2 || !namesBound(r.all()) {
				t.Errorf("exit %d after %s, want 2 and the bound named:\n%s", r.code, r.took, tail(r.all()))
			}
		})
	}
}
