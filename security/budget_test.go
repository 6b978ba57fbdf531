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

// Attack: Helm and Kustomize output escaped the scan's alias budget: a
// chart of 200 templates, or a kustomization of 200 resources, each a small
// alias bomb, crashed kscan out of memory (Kustomize expands aliases itself
// as it reads a resource). They now count against the same budget as the
// scanned files: exit 2, the budget named, the other files scanned.
func TestAliasBudgetRenderedOutput(t *testing.T) {
	for name, layout := range map[string]func(i int) string{
		"helm":      func(i int) string { return fmt.Sprintf("k8s/c/templates/b%03d.yaml", i) },
		"kustomize": func(i int) string { return fmt.Sprintf("k8s/k/b%03d.yaml", i) },
	} {
		t.Run(name, func(t *testing.T) {
			files := map[string]string{
				"k8s/pod.yaml":     privilegedPod,
				"k8s/c/Chart.yaml": chartYAML,
			}
			var resources strings.Builder
			resources.WriteString("resources:\n")
			for i := 0; i < 200; i++ {
				files[layout(i)] = aliasBomb(i, 9, 5)
				fmt.Fprintf(&resources, "- b%03d.yaml\n", i)
			}
			if name == "kustomize" {
				delete(files, "k8s/c/Chart.yaml")
				files["k8s/k/kustomization.yaml"] = resources.String()
			}
			dir := tree(t, files)
			r := run(t, dir, runOpts{memKiB: 2 << 20, deadline: 120 * time.Second}, "scan", "--fail-on", "none", "k8s")
			if r.code != 2 || !strings.Contains(r.stderr, "aliases expand to more than") {
				t.Errorf("exit %d, want 2 and the alias budget named:\n%s", r.code, tail(r.stderr))
			}
			if !strings.Contains(r.stdout, "privileged") {
				t.Errorf("the pod was not scanned:\n%s", tail(r.stdout))
			}
		})
	}
}
