package pulumi

import (
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/kscan-io/kscan/graph"
	"github.com/kscan-io/kscan/internal/safefile"
)

func newGzipReader(r io.Reader) (io.ReadCloser, error) { return gzip.NewReader(r) }

// Stack is one stack found in a DIY backend.
type Stack struct {
	Project string // "" for the legacy layout without projects
	Name    string
	File    string // path of the checkpoint
}

// FullName is "<project>/<stack>" (or the stack alone in the legacy layout).
func (s Stack) FullName() string {
	if s.Project == "" {
		return s.Name
	}
	return s.Project + "/" + s.Name
}

// BackendDir resolves a DIY backend URL (file://…, file://~/…) or plain
// folder to the folder that holds .pulumi.
func BackendDir(backend string) (string, error) {
	if strings.Contains(backend, "://") {
		u, err := url.Parse(backend)
		if err != nil {
			return "", fmt.Errorf("--pulumi-backend: %v", err)
		}
		if u.Scheme != "file" {
			return "", fmt.Errorf("--pulumi-backend: only file:// (DIY) backends can be read, not %s://; use `pulumi stack export` and --pulumi-state for others", u.Scheme)
		}
		p := u.Host + u.Path
		if u.Host == "~" || strings.HasPrefix(p, "~/") {
			home, err := os.UserHomeDir()
			if err != nil {
				return "", fmt.Errorf("--pulumi-backend: %v", err)
			}
			p = filepath.Join(home, strings.TrimPrefix(strings.TrimPrefix(p, "~"), "/"))
		}
		backend = p
	}
	fi, err := os.Stat(backend)
	if err != nil {
		return "", fmt.Errorf("--pulumi-backend %s: %s", backend, safefile.Reason(err))
	}
	if !fi.IsDir() {
		return "", fmt.Errorf("--pulumi-backend %s: not a folder", backend)
	}
	return backend, nil
}

// ListStacks lists the stacks of a DIY backend folder, sorted by full name:
// .pulumi/stacks/<project>/<stack>.json[.gz] and the legacy
// .pulumi/stacks/<stack>.json[.gz]. Backups (.bak) and history are ignored.
func ListStacks(dir string) ([]Stack, error) {
	root := filepath.Join(dir, ".pulumi", "stacks")
	entries, err := os.ReadDir(root)
	if err != nil {
		return nil, fmt.Errorf("%s: no stacks (%s); is this a DIY backend folder?", root, safefile.Reason(err))
	}
	seen := map[string]Stack{}
	add := func(project, file string) {
		name, ok := stackName(filepath.Base(file))
		if !ok {
			return
		}
		s := Stack{Project: project, Name: name, File: file}
		// A plain .json wins over a .json.gz of the same stack, as in Pulumi.
		if prev, dup := seen[s.FullName()]; dup && !strings.HasSuffix(prev.File, ".gz") {
			return
		}
		seen[s.FullName()] = s
	}
	for _, e := range entries {
		p := filepath.Join(root, e.Name())
		if !e.IsDir() {
			add("", p)
			continue
		}
		files, err := os.ReadDir(p)
		if err != nil {
			continue
		}
		for _, f := range files {
			if !f.IsDir() {
				add(e.Name(), filepath.Join(p, f.Name()))
			}
		}
	}
	out := make([]Stack, 0, len(seen))
	for _, s := range seen {
		out = append(out, s)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].FullName() < out[j].FullName() })
	return out, nil
}

func stackName(base string) (string, bool) {
	switch {
	case strings.HasSuffix(base, ".json.gz"):
		return strings.TrimSuffix(base, ".json.gz"), true
	case strings.HasSuffix(base, ".json"):
		return strings.TrimSuffix(base, ".json"), true
	}
	return "", false
}

// SelectStack finds a stack by "<stack>", "<project>/<stack>" or
// "organization/<project>/<stack>".
func SelectStack(stacks []Stack, name string) (Stack, error) {
	parts := strings.Split(name, "/")
	if len(parts) == 3 {
		parts = parts[1:]
	}
	var found []Stack
	for _, s := range stacks {
		if (len(parts) == 2 && s.Project == parts[0] && s.Name == parts[1]) || (len(parts) == 1 && s.Name == parts[0]) {
			found = append(found, s)
		}
	}
	names := make([]string, len(stacks))
	for i, s := range stacks {
		names[i] = s.FullName()
	}
	switch len(found) {
	case 0:
		return Stack{}, fmt.Errorf("--pulumi-stack %s: no such stack; the backend has: %s", name, orNone(names))
	case 1:
		return found[0], nil
	}
	amb := make([]string, len(found))
	for i, s := range found {
		amb[i] = s.FullName()
	}
	return Stack{}, fmt.Errorf("--pulumi-stack %s is ambiguous: %s; name it as <project>/<stack>", name, strings.Join(amb, ", "))
}

func orNone(l []string) string {
	if len(l) == 0 {
		return "(none)"
	}
	return strings.Join(l, ", ")
}

// Options says which state to read.
type Options struct {
	// StateFiles are stack exports or checkpoints (--pulumi-state).
	StateFiles []string
	// Backend is a DIY backend folder or file:// URL (--pulumi-backend);
	// Stack names one of its stacks (--pulumi-stack). Without Stack every
	// stack of the backend is read.
	Backend string
	Stack   string
}

// Collect reads the state files and backend stacks of opts into g. A bad
// file is an input error naming it; the others are still read. The error
// returned is for a backend that cannot be used at all.
func Collect(ctx context.Context, opts Options, g *graph.Graph) error {
	for _, f := range opts.StateFiles {
		if err := CollectFile(ctx, f, RelName(f), g); err != nil {
			return err
		}
	}
	if opts.Backend == "" {
		if opts.Stack != "" {
			return fmt.Errorf("--pulumi-stack needs --pulumi-backend")
		}
		return nil
	}
	dir, err := BackendDir(opts.Backend)
	if err != nil {
		return err
	}
	stacks, err := ListStacks(dir)
	if err != nil {
		return err
	}
	if opts.Stack != "" {
		s, err := SelectStack(stacks, opts.Stack)
		if err != nil {
			return err
		}
		stacks = []Stack{s}
	} else {
		// Say which stacks "every stack" meant, so a report shows what was
		// (and was not) scanned.
		names := make([]string, len(stacks))
		for i, s := range stacks {
			names[i] = s.FullName()
		}
		g.AddError(graph.InputError{Level: graph.LevelWarning, Source: graph.Source{Kind: graph.SourcePulumiState, File: RelName(dir)},
			Message: fmt.Sprintf("no --pulumi-stack given: scanning all %d stacks of the backend: %s", len(stacks), orNone(names))})
	}
	for _, s := range stacks {
		if err := CollectFile(ctx, s.File, RelName(s.File), g); err != nil {
			return err
		}
	}
	return nil
}
