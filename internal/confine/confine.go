// Package confine keeps the readers of a scanned tree (the manifest walker,
// Helm's chart loader, Kustomize's file system) inside it: a symbolic link
// that resolves outside the scanned root is refused, naming the link, unless
// the user trusts the tree (--follow-symlinks). Devices, FIFOs and sockets
// are refused whatever the setting (internal/safefile).
package confine

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/kscan-io/kscan/internal/safefile"
)

// Root is one scanned root: an absolute directory with symbolic links
// resolved. Follow lifts the confinement (the tree is trusted).
type Root struct {
	Dir    string
	Follow bool
	// Also are further real directories readers may use (a Kustomize base
	// the scanned overlay reaches by ../ inside the working directory).
	Also []string
}

// With returns a copy of r that also allows dirs.
func (r *Root) With(dirs ...string) *Root {
	c := *r
	c.Also = append(append([]string(nil), r.Also...), dirs...)
	return &c
}

// ErrOutside is wrapped by the errors for links that leave the root.
var ErrOutside = errors.New("symbolic link points outside the scanned tree")

// EscapeError names the link and where it points (as written in the tree),
// or, when no link is involved, the path that names a place outside the
// tree (an absolute or ../ path in a kustomization).
type EscapeError struct {
	Path, Target string
	NotLink      bool
}

func (e *EscapeError) Error() string { return e.Path + ": " + e.Reason() }

// Reason is the message without the path (for a location that names it).
func (e *EscapeError) Reason() string {
	if e.NotLink {
		return "path outside the scanned tree; refused, as a scanned repository may not make kscan read other files"
	}
	return fmt.Sprintf("%v (to %s); refused, as a scanned repository may not make kscan read other files (--follow-symlinks for a trusted tree)", ErrOutside, e.Target)
}

func (e *EscapeError) Unwrap() error { return ErrOutside }

// New returns the root for dir (a file's root is its directory).
func New(dir string, follow bool) (*Root, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	real, err := filepath.EvalSymlinks(abs)
	if err != nil {
		return nil, err
	}
	if fi, err := os.Stat(real); err == nil && !fi.IsDir() {
		real = filepath.Dir(real)
	}
	return &Root{Dir: real, Follow: follow}, nil
}

// Contains is true when the resolved path real is the root or below it.
func (r *Root) Contains(real string) bool {
	if r == nil || r.Follow {
		return true
	}
	for _, d := range r.Also {
		if within(d, real) {
			return true
		}
	}
	return within(r.Dir, real)
}

func within(dir, p string) bool {
	if p == dir || dir == "/" {
		return true
	}
	return strings.HasPrefix(p, dir+string(filepath.Separator))
}

// Resolve resolves the symbolic links of path and refuses a result outside
// the root. The result is the real path.
func (r *Root) Resolve(path string) (string, error) {
	real, err := filepath.EvalSymlinks(path)
	if err != nil {
		return "", err
	}
	if !filepath.IsAbs(real) {
		if real, err = filepath.Abs(real); err != nil {
			return "", err
		}
	}
	if !r.Contains(real) {
		abs, _ := filepath.Abs(path)
		// Lexically outside and no link on the way: the path itself leaves.
		notLink := abs == real && !r.Contains(abs)
		return "", &EscapeError{Path: path, Target: linkTarget(path, real), NotLink: notLink}
	}
	return real, nil
}

// linkTarget is what the link says (the repository's own text), else the
// resolved path.
func linkTarget(path, real string) string {
	if t, err := os.Readlink(path); err == nil {
		return t
	}
	return real
}

// Check refuses a path that leaves the root or that is not a regular file
// or directory (a device, a FIFO or a socket would hang or exhaust kscan),
// deciding from Lstat and the resolved mode before anything is opened.
func (r *Root) Check(path string) (fs.FileInfo, error) {
	// Every component is resolved, not only the last: a directory link
	// (charts -> /etc) leaves the tree as well as a file link.
	real, err := r.Resolve(path)
	if err != nil {
		return nil, err
	}
	fi, err := os.Lstat(real)
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() && !fi.IsDir() {
		_, err := safefile.Check(path) // the error that names the kind
		return nil, err
	}
	return fi, nil
}

// ReadFile reads a regular file inside the root, at most limit bytes.
func (r *Root) ReadFile(path string, limit int64) ([]byte, error) {
	fi, err := r.Check(path)
	if err != nil {
		return nil, err
	}
	if fi.IsDir() {
		return nil, &fs.PathError{Op: "read", Path: path, Err: errors.New("is a directory")}
	}
	return safefile.ReadFile(path, limit)
}

type ctxKey struct{}

// WithRoot records the scanned root for the handlers that read below it.
func WithRoot(ctx context.Context, r *Root) context.Context {
	return context.WithValue(ctx, ctxKey{}, r)
}

// FromContext is the root recorded by WithRoot, else a root at dir (the
// directory a handler was given is then all it may read).
func FromContext(ctx context.Context, dir string) *Root {
	if r, ok := ctx.Value(ctxKey{}).(*Root); ok && r != nil {
		return r
	}
	r, err := New(dir, false)
	if err != nil {
		abs, _ := filepath.Abs(dir)
		return &Root{Dir: abs}
	}
	return r
}
