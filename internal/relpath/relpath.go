// Package relpath names files in reports the same way in every collector.
package relpath

import (
	"path/filepath"
	"strings"
)

// Name is p relative to base (an absolute directory) when p is below it,
// else p cleaned, with forward slashes either way, so reports do not depend
// on where the repository is checked out or on the operating system.
func Name(base, p string) string {
	abs, err := filepath.Abs(p)
	if err != nil {
		return filepath.ToSlash(p)
	}
	if r, err := filepath.Rel(base, abs); err == nil && !strings.HasPrefix(r, "..") {
		return filepath.ToSlash(r)
	}
	return filepath.ToSlash(filepath.Clean(p))
}
