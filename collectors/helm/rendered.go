package helm

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/kscan-io/kscan/collectors/manifest"
	"github.com/kscan-io/kscan/graph"
	"github.com/kscan-io/kscan/internal/safefile"
)

// RenderedHandler is a manifest.ContentHandler for the output of
// `helm template` (a file or `helm template … | kscan scan -`). Helm marks
// each document with "# Source: <chart>/templates/<file>"; when that
// template is found on disk (relative to the working directory or to the
// file's directory), objects are located in it, as for charts kscan renders
// itself. Otherwise they keep their place in the rendered stream.
type RenderedHandler struct {
	DefaultNamespace string
	// BaseDir makes recorded paths relative (default: working directory).
	BaseDir string
	// ChartDirs are extra directories to look for "<chart>/templates/…" in.
	ChartDirs []string
}

var _ manifest.ContentHandler = RenderedHandler{}

// Name implements manifest.ContentHandler.
func (RenderedHandler) Name() string { return "helm-template-output" }

var sourceLineRe = regexp.MustCompile(`(?m)^# Source: (\S+)\s*$`)

// Match claims YAML streams with Helm's "# Source:" markers.
func (RenderedHandler) Match(_ string, data []byte) bool {
	head := data
	if len(head) > 64<<10 {
		head = head[:64<<10]
	}
	// The literal test first: the regexp is slow on the many files without it.
	return bytes.Contains(head, []byte("# Source: ")) && sourceLineRe.Match(head)
}

// Collect implements manifest.ContentHandler.
func (h RenderedHandler) Collect(ctx context.Context, path string, data []byte, g *graph.Graph) error {
	base := h.BaseDir
	if base == "" {
		base, _ = os.Getwd()
	}
	dirs := append([]string{base}, h.ChartDirs...)
	if path != manifest.StdinName {
		dirs = append(dirs, filepath.Dir(filepath.Join(base, path)))
	}
	cache := map[string][]byte{}
	var order []string
	groups := map[string][]renderedDoc{}
	for _, d := range splitRendered(data) {
		m := sourceLineRe.FindSubmatch(d.data)
		key := ""
		if m != nil {
			key = string(m[1])
		}
		if _, seen := groups[key]; !seen {
			order = append(order, key)
		}
		groups[key] = append(groups[key], d)
	}
	for _, key := range order {
		docs := groups[key]
		tmplPath := ""
		if key != "" {
			for _, d := range dirs {
				p := filepath.Join(d, filepath.FromSlash(key))
				if fi, err := os.Stat(p); err == nil && !fi.IsDir() {
					tmplPath = p
					break
				}
			}
		}
		if tmplPath == "" {
			// Keep the position in the stream: pad with the lines before.
			for _, d := range docs {
				padded := append(bytes.Repeat([]byte("\n"), d.firstLine-1), d.data...)
				manifest.ParseIntoContext(ctx, padded, graph.Source{Kind: graph.SourceFile, File: path}, h.DefaultNamespace, g)
			}
			continue
		}
		tmpl, ok := cache[tmplPath]
		if !ok {
			tmpl, _ = safefile.ReadFile(tmplPath, maxTemplate)
			cache[tmplPath] = tmpl
		}
		var joined []byte
		for _, d := range docs {
			joined = append(joined, []byte("---\n")...)
			joined = append(joined, d.data...)
			joined = append(joined, '\n')
		}
		AddRendered(ctx, joined, graph.Source{Kind: graph.SourceFile, File: relTo(base, tmplPath)}, tmpl, h.DefaultNamespace, g)
	}
	return nil
}

type renderedDoc struct {
	data      []byte
	firstLine int
}

// splitRendered cuts a stream at "---" lines, remembering where each
// document starts.
func splitRendered(data []byte) []renderedDoc {
	var out []renderedDoc
	lines := strings.SplitAfter(string(data), "\n")
	var cur strings.Builder
	start := 1
	flush := func() {
		if strings.TrimSpace(cur.String()) != "" {
			out = append(out, renderedDoc{data: []byte(cur.String()), firstLine: start})
		}
		cur.Reset()
	}
	for i, l := range lines {
		t := strings.TrimRight(l, "\r\n")
		if t == "---" || strings.HasPrefix(t, "--- ") {
			flush()
			start = i + 2
			continue
		}
		cur.WriteString(l)
	}
	flush()
	return out
}

func relTo(base, p string) string {
	if r, err := filepath.Rel(base, p); err == nil && !strings.HasPrefix(r, "..") {
		return filepath.ToSlash(r)
	}
	return filepath.ToSlash(p)
}
