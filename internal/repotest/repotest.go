// Package repotest holds the helpers tests use to find things beside the
// repository: its root, the vendored third-party conformance corpus, and the
// rule that a missing component skips a test locally but fails it in CI.
package repotest

import (
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

// Root is the repository root (the directory holding go.mod).
func Root() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Dir(filepath.Dir(filepath.Dir(file)))
}

// Missing skips the test locally and fails it in CI (CI=true): a missing
// component must never pass silently there.
func Missing(t testing.TB, format string, args ...any) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatalf(format, args...)
	}
	t.Skipf(format, args...)
}

// Conformance returns a path inside the third-party conformance corpus
// vendored in testdata/conformance (refreshed by hack/vendor-conformance.sh),
// failing the test when it is absent: a clone carries it, so absence is a bug.
func Conformance(t testing.TB, rel string) string {
	t.Helper()
	p := filepath.Join(Root(), "testdata", "conformance", rel)
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("conformance corpus missing: %v", err)
	}
	return p
}
