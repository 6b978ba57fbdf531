package kustomize

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"time"

	"go.yaml.in/yaml/v3"
	"sigs.k8s.io/kustomize/kyaml/filesys"

	"github.com/kscan-io/kscan/collectors/manifest"
	"github.com/kscan-io/kscan/internal/confine"
	"github.com/kscan-io/kscan/internal/safefile"
)

// Remote fetches are bounded when --kustomize-allow-remote allows them.
const (
	RemoteTimeout  = 30 * time.Second
	RemoteMaxBytes = 16 << 20
)

// remoteRef is a remote entry of a kustomization: kustomize would fetch it
// over HTTP or run git for it.
type remoteRef struct {
	file   string // kustomization file
	line   int
	value  string
	reason string // for a local path that leaves the tree; "" for remote
	msg    string // the whole message, when the value must not be shown
}

// pathLists are the kustomization fields whose string entries are paths
// (or inline content, which has a newline) that kustomize loads: a remote
// one is fetched by HTTP (ldr.Load) or cloned with git (ldr.New).
var pathLists = []string{"resources", "bases", "components", "crds", "configurations",
	"generators", "transformers", "validators", "patchesStrategicMerge"}

// pathMaps are the fields holding mappings with a "path" (patches,
// replacements, openapi).
var pathMaps = []string{"patchesJson6902", "patches", "replacements", "openapi"}

// kustomize's own recognition (api/internal/git.NewRepoSpecFromURL and
// loader.IsRemoteFile): a scheme, an SCP-style user@, or github.com.
var scpUser = regexp.MustCompile(`^[a-zA-Z][a-zA-Z0-9-]*@`)

// isRemote reports whether kustomize would fetch p rather than read a file
// of the tree. Deliberately broad: any scheme, git::, user@host and
// github.com paths.
func isRemote(p string) bool {
	l := strings.ToLower(strings.TrimSpace(p))
	if strings.HasPrefix(l, "git::") {
		return true
	}
	return strings.Contains(l, "://") || scpUser.MatchString(l) ||
		strings.HasPrefix(l, "github.com/") || strings.HasPrefix(l, "github.com:")
}

// checkRefs walks the kustomization in dir and the local kustomizations it
// builds on and lists every remote entry (when remote is not allowed) and
// every base that leaves the scanned root through a symbolic link or outside
// the working directory base. A base reached by ../ without links inside
// the working directory (an overlay scanned alone) is allowed: the
// returned root also allows it.
func checkRefs(dir string, root *confine.Root, base string, allowRemote bool, limit int64) ([]remoteRef, *confine.Root) {
	var out []remoteRef
	baseReal, _ := filepath.EvalSymlinks(base)
	seen := map[string]bool{}
	var visit func(d string)
	visit = func(d string) {
		real, err := filepath.EvalSymlinks(d)
		if err != nil || seen[real] {
			return
		}
		seen[real] = true
		k := kustFile(d)
		if k == "" {
			return
		}
		data, err := root.ReadFile(k, limit)
		if err != nil {
			return // kustomize reports it
		}
		var doc yaml.Node
		if yaml.Unmarshal(data, &doc) != nil || len(doc.Content) == 0 || doc.Content[0].Kind != yaml.MappingNode {
			return
		}
		top := doc.Content[0]
		check := func(n *yaml.Node, local bool) {
			if n == nil || n.Kind != yaml.ScalarNode || strings.Contains(n.Value, "\n") {
				return
			}
			v := n.Value
			if isRemote(v) {
				if !allowRemote {
					out = append(out, remoteRef{file: k, line: n.Line, value: v})
				}
				return
			}
			if !local {
				return
			}
			t := v
			if !filepath.IsAbs(t) {
				t = filepath.Join(d, v)
			}
			fi, err := os.Stat(t)
			if err != nil || !fi.IsDir() {
				return
			}
			real, err := filepath.EvalSymlinks(t)
			if err != nil {
				return
			}
			if !root.Contains(real) {
				abs, _ := filepath.Abs(t)
				if real == abs && baseReal != "" && baseReal != "/" && strings.HasPrefix(real, baseReal+string(filepath.Separator)) {
					root = root.With(real)
				} else {
					out = append(out, remoteRef{file: k, line: n.Line, value: v,
						reason: "points outside the scanned tree (through a symbolic link, or to a directory outside the working directory); refused, as a scanned repository may not make kscan read other files (--follow-symlinks for a trusted tree)"})
					return
				}
			}
			visit(t)
		}
		for i := 0; i+1 < len(top.Content); i += 2 {
			key, val := top.Content[i].Value, top.Content[i+1]
			switch {
			case contains(pathLists, key):
				for _, e := range seqOrOne(val) {
					check(e, true)
				}
			case contains(pathMaps, key):
				for _, e := range seqOrOne(val) {
					check(manifest.MappingValue(e, "path"), false)
				}
			case key == "configMapGenerator" || key == "secretGenerator":
				for _, e := range seqOrOne(val) {
					// Kustomize echoes a literal without "=" whole in its
					// error: for a secretGenerator, the secret itself.
					for _, l := range seqOrOne(manifest.MappingValue(e, "literals")) {
						if l != nil && l.Kind == yaml.ScalarNode && !strings.Contains(l.Value, "=") {
							out = append(out, remoteRef{file: k, line: l.Line,
								msg: key + " literal without \"=\": want KEY=VALUE (the entry is not shown: it may be a secret)"})
						}
					}
					for _, f := range []string{"files", "envs", "env"} {
						for _, s := range seqOrOne(manifest.MappingValue(e, f)) {
							check(s, false)
							if s != nil && s.Kind == yaml.ScalarNode {
								if _, after, ok := strings.Cut(s.Value, "="); ok {
									check(&yaml.Node{Kind: yaml.ScalarNode, Value: after, Line: s.Line}, false)
								}
							}
						}
					}
				}
			}
		}
	}
	visit(dir)
	return out, root
}

func contains(list []string, s string) bool {
	for _, l := range list {
		if l == s {
			return true
		}
	}
	return false
}

func seqOrOne(n *yaml.Node) []*yaml.Node {
	if n == nil {
		return nil
	}
	if n.Kind == yaml.SequenceNode {
		return n.Content
	}
	return []*yaml.Node{n}
}

// confinedFS is kustomize's file system with every read confined to the
// scanned root, regular files only, and bounded: a configMapGenerator file
// or a patch that is a link to /proc/self/environ, a FIFO or /dev/zero is
// refused, naming the file. Clones of allowed remote bases are read from
// kustomize's temporary directory.
type confinedFS struct {
	filesys.FileSystem
	root        *confine.Root
	limit       int64
	allowClones bool
	// ctx carries the scan's YAML alias budget: Kustomize expands every
	// alias of a resource as it reads it, before kscan sees its output.
	ctx context.Context
}

func (f *confinedFS) ReadFile(path string) ([]byte, error) {
	var data []byte
	var err error
	if f.allowClones && isCloneDir(path) {
		data, err = safefile.ReadFile(path, f.limit)
	} else {
		data, err = f.root.ReadFile(path, f.limit)
	}
	if err == nil && f.ctx != nil {
		if aerr := manifest.CheckAliases(f.ctx, data); aerr != nil {
			return nil, fmt.Errorf("%s: %w", path, aerr)
		}
	}
	return data, err
}

// isCloneDir is true below kustomize's clone directories
// ($TMPDIR/kustomize-*).
func isCloneDir(path string) bool {
	real, err := filepath.EvalSymlinks(path)
	if err != nil {
		return false
	}
	tmp, err := filepath.EvalSymlinks(os.TempDir())
	if err != nil {
		return false
	}
	rel, err := filepath.Rel(tmp, real)
	return err == nil && strings.HasPrefix(rel, "kustomize-") && !strings.Contains(strings.SplitN(rel, string(filepath.Separator), 2)[0], "..")
}

// transportMu guards the swap of http.DefaultTransport below.
var transportMu sync.Mutex

// withBoundedHTTP runs fn with http.DefaultTransport bounded: kustomize
// fetches remote files with an http.Client{} of its own (no timeout, an
// unbounded read), which only the default transport reaches. Builds are
// serialised, and no other collector runs during one.
func withBoundedHTTP(ctx context.Context, fn func()) {
	transportMu.Lock()
	defer transportMu.Unlock()
	old := http.DefaultTransport
	http.DefaultTransport = &boundedTransport{base: old, ctx: ctx, timeout: RemoteTimeout, limit: RemoteMaxBytes}
	defer func() { http.DefaultTransport = old }()
	fn()
}

type boundedTransport struct {
	base    http.RoundTripper
	ctx     context.Context
	timeout time.Duration
	limit   int64
}

func (t *boundedTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx, cancel := context.WithTimeout(t.ctx, t.timeout)
	resp, err := t.base.RoundTrip(req.WithContext(ctx))
	if err != nil {
		cancel()
		if ctx.Err() != nil {
			return nil, fmt.Errorf("%s: no answer within %s", req.URL.Redacted(), t.timeout)
		}
		return nil, err
	}
	resp.Body = &limitedBody{rc: resp.Body, limit: t.limit, cancel: cancel, ctx: ctx, url: req.URL.Redacted(), timeout: t.timeout}
	return resp, nil
}

var errTooLarge = errors.New("remote resource larger than the limit")

type limitedBody struct {
	rc          io.ReadCloser
	read, limit int64
	cancel      context.CancelFunc
	ctx         context.Context
	url         string
	timeout     time.Duration
}

// Read passes at most limit bytes; the byte after them is an error.
func (b *limitedBody) Read(p []byte) (int, error) {
	if b.read > b.limit {
		return 0, fmt.Errorf("%s: %w of %s", b.url, errTooLarge, safefile.Size(b.limit))
	}
	if room := b.limit + 1 - b.read; int64(len(p)) > room {
		p = p[:room]
	}
	n, err := b.rc.Read(p)
	b.read += int64(n)
	if b.read > b.limit {
		b.cancel()
		return n, fmt.Errorf("%s: %w of %s", b.url, errTooLarge, safefile.Size(b.limit))
	}
	if err != nil && err != io.EOF && b.ctx.Err() != nil {
		return n, fmt.Errorf("%s: not read within %s", b.url, b.timeout)
	}
	return n, err
}

func (b *limitedBody) Close() error {
	b.cancel()
	return b.rc.Close()
}
