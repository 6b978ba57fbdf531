package security

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// aliasBomb is a small ConfigMap whose data expands through nested aliases
// to about width^depth values: under the per-document limit, but hundreds
// of them exhausted memory.
func aliasBomb(i, width, depth int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: bomb-%d}\ndata:\n  a0: &a0 [x, x, x, x, x, x, x, x]\n", i)
	for d := 1; d <= depth; d++ {
		refs := make([]string, width)
		for j := range refs {
			refs[j] = fmt.Sprintf("*a%d", d-1)
		}
		fmt.Fprintf(&b, "  a%d: &a%d [%s]\n", d, d, strings.Join(refs, ", "))
	}
	return b.String()
}

// Attack: the YAML alias limit was per document: 200 small ConfigMaps, each
// expanding to just under it, ran kscan out of memory. One budget for the
// whole scan ends it with an error instead (exit 2, not a runtime crash).
func TestAliasBudgetPerScan(t *testing.T) {
	files := map[string]string{"k8s/pod.yaml": privilegedPod}
	for i := 0; i < 200; i++ {
		files[fmt.Sprintf("k8s/bomb-%03d.yaml", i)] = aliasBomb(i, 9, 5) // 9^5*8 = 472392 values each
	}
	dir := tree(t, files)
	r := run(t, dir, runOpts{memKiB: 2 << 20, deadline: 120 * time.Second}, "scan", "--fail-on", "none", "k8s")
	if r.code != 2 || !strings.Contains(r.stderr, "alias") {
		t.Errorf("exit %d, want 2 and the alias budget named:\n%s", r.code, tail(r.stderr))
	}
	if !strings.Contains(r.stdout, "privileged") {
		t.Errorf("the pod was not scanned:\n%s", tail(r.stdout))
	}
}
