package relpath

import (
	"os"
	"path/filepath"
	"testing"
)

func TestName(t *testing.T) {
	base := t.TempDir()
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct{ base, p, want string }{
		{base, filepath.Join(base, "k8s", "app.yaml"), "k8s/app.yaml"},
		{base, filepath.Join(base, "k8s", "..", "app.yaml"), "app.yaml"},
		{base, base, "."},
		{base, "/elsewhere/x/../app.yaml", "/elsewhere/app.yaml"},
		{wd, "testdata/x.yaml", "testdata/x.yaml"}, // relative paths are taken from the working directory
		{wd, "../relpath/x.yaml", "x.yaml"},
		{"", "a/../b.yaml", "b.yaml"}, // no base: cleaned as given
	}
	for _, tt := range tests {
		if got := Name(tt.base, tt.p); got != tt.want {
			t.Errorf("Name(%q, %q) = %q, want %q", tt.base, tt.p, got, tt.want)
		}
	}
}
