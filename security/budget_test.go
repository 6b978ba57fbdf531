package security

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"os"
	"path/filepath"
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

// inflatingSnapshot writes a gzip file of about 1 MB that decompresses to a
// snapshot header followed by size bytes of one string.
func inflatingSnapshot(t *testing.T, path string, size int) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zw, _ := gzip.NewWriterLevel(f, gzip.BestCompression)
	fmt.Fprint(zw, `{"kscanSnapshot":1,"tool":"kscan","nodes":[{"id":"x","type":"t","object":{"a":"`)
	chunk := bytes.Repeat([]byte("A"), 1<<20)
	for n := 0; n < size; n += len(chunk) {
		if _, err := zw.Write(chunk); err != nil {
			t.Fatal(err)
		}
	}
	fmt.Fprint(zw, `"}}],"edges":[],"errors":[]}`)
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
}

// Attack: a snapshot is recognised by content whatever its name, and
// --max-file-size applied to the compressed file only: a 1 MB gzip that
// inflates to 900 MiB crashed kscan under a 2 GiB RLIMIT_AS. What a
// snapshot decompresses to now counts against the scan's byte budget (and
// one snapshot may take 256 MiB of it): exit 2 naming the bound, the other
// files scanned.
func TestSnapshotDecompressionBudget(t *testing.T) {
	dir := tree(t, map[string]string{"k8s/pod.yaml": privilegedPod})
	inflatingSnapshot(t, filepath.Join(dir, "k8s", "notes.txt"), 900<<20)
	r := run(t, dir, runOpts{memKiB: 2 << 20, deadline: 120 * time.Second}, "scan", "--fail-on", "none", "k8s")
	if r.code != 2 || !strings.Contains(r.stderr, "k8s/notes.txt") || !strings.Contains(r.stderr, "may decompress to at most 256 MiB") {
		t.Errorf("exit %d, want 2 naming the file and the bound:\n%s", r.code, tail(r.stderr))
	}
	if !strings.Contains(r.stdout, "privileged") {
		t.Errorf("the pod was not scanned:\n%s", tail(r.stdout))
	}
}
