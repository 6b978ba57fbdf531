package hugepages

import (
	"os"
	"path/filepath"
	"testing"
)

func TestMode(t *testing.T) {
	cases := []struct {
		file, want string
	}{
		{"always [madvise] never\n", "madvise"},
		{"[always] madvise never\n", "always"},
		{"always madvise [never]\n", "never"},
		{"always madvise never\n", ""},
		{"", ""},
	}
	for _, tc := range cases {
		root := t.TempDir()
		write(t, root, "sys/kernel/mm/transparent_hugepage/enabled", tc.file)
		if got := mode(root); got != tc.want {
			t.Errorf("mode(%q) = %q, want %q", tc.file, got, tc.want)
		}
	}
	if got := mode(t.TempDir()); got != "" {
		t.Errorf("mode without the file = %q, want \"\"", got)
	}
}

func TestWanted(t *testing.T) {
	cases := []struct {
		name, mode, overcommit, env string
		want                        bool
	}{
		{"huge pages on request, heuristic overcommit", "always [madvise] never", "0", "", true},
		{"always overcommit", "always [madvise] never", "1", "", true},
		{"huge pages always: nothing to ask", "[always] madvise never", "0", "", false},
		{"huge pages never", "always madvise [never]", "0", "", false},
		{"strict overcommit: a block mapped ahead could be refused", "always [madvise] never", "2", "", false},
		{"overcommit unknown", "always [madvise] never", "", "", false},
		{"turned off", "always [madvise] never", "0", "0", false},
		{"turned on explicitly", "always [madvise] never", "0", "1", true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			root := t.TempDir()
			write(t, root, "sys/kernel/mm/transparent_hugepage/enabled", tc.mode)
			if tc.overcommit != "" {
				write(t, root, "proc/sys/vm/overcommit_memory", tc.overcommit+"\n")
			}
			t.Setenv(offEnv, tc.env)
			if got := wanted(root); got != tc.want {
				t.Errorf("wanted = %v, want %v", got, tc.want)
			}
		})
	}
}

func write(t *testing.T, root, name, content string) {
	t.Helper()
	p := filepath.Join(root, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}
