package confine

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

func TestCheck(t *testing.T) {
	outside := t.TempDir()
	if err := os.WriteFile(filepath.Join(outside, "secret"), []byte("s"), 0o644); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.MkdirAll(filepath.Join(dir, "sub"), 0o755))
	must(os.WriteFile(filepath.Join(dir, "sub", "a.yaml"), []byte("a"), 0o644))
	must(os.Symlink("sub/a.yaml", filepath.Join(dir, "in")))
	must(os.Symlink(filepath.Join(outside, "secret"), filepath.Join(dir, "out")))
	must(os.Symlink(outside, filepath.Join(dir, "outdir")))
	must(os.Symlink("/dev/zero", filepath.Join(dir, "zero")))
	must(syscall.Mkfifo(filepath.Join(dir, "fifo"), 0o644))

	tests := []struct {
		path          string
		follow        bool
		outside, fail bool
	}{
		{path: "sub/a.yaml"},
		{path: "in"},
		{path: "sub"},
		{path: "out", outside: true, fail: true},
		{path: "outdir/secret", outside: true, fail: true},
		{path: "zero", outside: true, fail: true},
		{path: "fifo", fail: true},
		{path: "out", follow: true},
		{path: "outdir/secret", follow: true},
		{path: "zero", follow: true, fail: true},
		{path: "fifo", follow: true, fail: true},
	}
	for _, tc := range tests {
		r, err := New(dir, tc.follow)
		if err != nil {
			t.Fatal(err)
		}
		_, err = r.Check(filepath.Join(dir, tc.path))
		if (err != nil) != tc.fail {
			t.Errorf("%s (follow %v): err %v, want failure %v", tc.path, tc.follow, err, tc.fail)
		}
		if errors.Is(err, ErrOutside) != tc.outside {
			t.Errorf("%s (follow %v): err %v, want outside %v", tc.path, tc.follow, err, tc.outside)
		}
	}
	r, _ := New(dir, false)
	if _, err := r.With(outside).Check(filepath.Join(dir, "out")); err != nil {
		t.Errorf("an allowed extra directory: %v", err)
	}
}

// The refusal says what left the tree: a link (with where it points), or
// the path itself (an absolute or ../ path written in the repository).
func TestEscapeWording(t *testing.T) {
	outside := t.TempDir()
	secret := filepath.Join(outside, "secret")
	if err := os.WriteFile(secret, []byte("s"), 0o644); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := os.Symlink(secret, filepath.Join(dir, "out")); err != nil {
		t.Fatal(err)
	}
	r, err := New(dir, false)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		path, want string
		link       bool
	}{
		{filepath.Join(dir, "out"), "symbolic link points outside the scanned tree", true},
		{secret, "path outside the scanned tree", false},
		{filepath.Join(dir, "..", filepath.Base(outside), "secret"), "path outside the scanned tree", false},
	} {
		_, err := r.Check(tc.path)
		var ee *EscapeError
		if !errors.As(err, &ee) || !errors.Is(err, ErrOutside) {
			t.Fatalf("%s: %v, want an escape", tc.path, err)
		}
		if ee.NotLink == tc.link || !strings.HasPrefix(ee.Reason(), tc.want) {
			t.Errorf("%s: %q (not a link: %v), want %q", tc.path, ee.Reason(), ee.NotLink, tc.want)
		}
	}
}
