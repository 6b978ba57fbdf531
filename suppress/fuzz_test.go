package suppress

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzLoadFile: a repository's .kscanignore.yaml is attacker-written;
// whatever its bytes, loading ends in entries and/or error notifications
// that name the file, never a panic, and a file that is refused as a whole
// says why. go test runs the seeds; make fuzz runs it longer.
func FuzzLoadFile(f *testing.F) {
	for _, s := range []string{
		"ignores:\n- rule: k8s/privileged-container\n  resource: shop/Pod/web\n  reason: accepted\n",
		"version: 1\nignores: []\n",
		"ignores:\n- rule: '*'\n  reason: x\n  expires: 2020-01-01\n",
		"- rule: a\n  reason: b\n",
		"ignores: &a [*a]\n",
		"ignores:\n- {rule: [x], reason: {y: z}}\n",
		"ignores: null\n",
		"version: 2\n",
		"\x00\xff",
		"",
	} {
		f.Add([]byte(s))
	}
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte) {
		path := filepath.Join(dir, "ignore.yaml")
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		entries, notes := LoadFile(path, true)
		if entries == nil && len(notes) == 0 {
			t.Errorf("refused without a reason: %q", data)
		}
		for _, n := range notes {
			if n.Location.File != path || n.Level != "error" || n.Message == "" {
				t.Errorf("notification without file, level or message: %+v", n)
			}
		}
	})
}
