package layout

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os/exec"
	"sort"
	"strings"
	"testing"

	"github.com/kscan-io/kscan/internal/repotest"
)

const module = "github.com/kscan-io/kscan/"

// A rule: packages under From (a package path relative to the module, or
// "dir/..." for the folder and everything below it) must not depend,
// directly or through other packages, on anything under Not.
type rule struct {
	From []string
	Not  []string
	Why  string
}

var rules = []rule{
	{
		From: []string{"policies/...", "graph/...", "finding/..."},
		Not:  []string{"collectors/...", "scan/...", "cmd/..."},
		Why:  "the engine, the model and findings know the graph, not the sources or the pipeline",
	},
	{
		// policies/builtins (kscan.graph for rule tests) is left out: it
		// enriches its graph as a scan does.
		From: []string{"policies", "policies/frameworks/...", "graph/...", "finding/..."},
		Not:  []string{"enrich/...", "rbac/...", "iampolicy/...", "exposure/...", "pss/..."},
		Why:  "the engine knows the graph, the facts' shape (graph.Facts) and findings; the enrichers that derive facts are registered in enrich.All and run by scan",
	},
	{
		From: []string{"enrich/...", "rbac/...", "iampolicy/...", "exposure/...", "pss/..."},
		Not:  []string{"policies/...", "scan/...", "cmd/...", "collectors/...", "analyzer/..."},
		Why:  "enrichers derive facts from the collected graph: they know neither the sources nor the rules nor the pipeline",
	},
	{
		From: []string{"collectors/..."},
		Not:  []string{"policies/...", "enrich/...", "scan/...", "cmd/...", "analyzer/...", "suppress/...", "baseline/...", "snapshot/..."},
		Why:  "collectors fill the graph: they know neither what is derived from it, nor the rules, nor the pipeline, nor what happens to findings",
	},
	{
		From: []string{"suppress/...", "baseline/...", "snapshot/...", "policies/frameworks/..."},
		Not:  []string{"scan/...", "cmd/..."},
		Why:  "post-processors implement scan's interfaces (asserted in scan's tests) without importing it",
	},
	{
		// kscan must not link OPA's CLI and server: cmd/opa is apart.
		From: []string{"cmd/kscan", "cmd/pulumi-analyzer-policy-kscan"},
		Not:  []string{"cmd/opa", "!github.com/open-policy-agent/opa/cmd", "!github.com/open-policy-agent/opa/v1/server/..."},
		Why:  "cmd/opa's dependencies (OPA's CLI, server, Prometheus) stay out of kscan's binaries",
	},
}

// allowed are the dependencies that break a rule today, each with the
// reason and what removes it. An entry that is no longer needed fails the
// test, so the list only shrinks.
//
// Empty today. The form of an entry, keyed like a rule's From:
//
//	"policies/...": {"collectors/x": "why, and what removes it"},
var allowed = map[string]map[string]string{}

type pkg struct {
	ImportPath string
	Deps       []string
	Standard   bool
}

// match reports whether path (a full import path) is under pattern: a
// module-relative path, "x/..." for a folder and below, or "!full/path..."
// for another module.
func match(pattern, path string) bool {
	if !strings.HasPrefix(pattern, "!") {
		pattern = module + pattern
	} else {
		pattern = pattern[1:]
	}
	if dir, ok := strings.CutSuffix(pattern, "/..."); ok {
		return path == dir || strings.HasPrefix(path, dir+"/")
	}
	return path == pattern
}

func TestImportDirections(t *testing.T) {
	cmd := exec.Command("go", "list", "-deps=false", "-json=ImportPath,Deps,Standard", "./...")
	cmd.Dir = repotest.Root()
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, stderr.String())
	}
	var pkgs []pkg
	dec := json.NewDecoder(bufio.NewReader(bytes.NewReader(out)))
	for dec.More() {
		var p pkg
		if err := dec.Decode(&p); err != nil {
			t.Fatal(err)
		}
		pkgs = append(pkgs, p)
	}
	if len(pkgs) < 20 {
		t.Fatalf("go list found %d packages", len(pkgs))
	}
	used := map[string]bool{}
	checked := 0
	for _, r := range rules {
		for _, p := range pkgs {
			if !matchAny(r.From, p.ImportPath) {
				continue
			}
			checked++
			for _, d := range p.Deps {
				if !matchAny(r.Not, d) {
					continue
				}
				if key, ok := allowedFor(p.ImportPath, d); ok {
					used[key] = true
					continue
				}
				t.Errorf("%s depends on %s: %s", strings.TrimPrefix(p.ImportPath, module), strings.TrimPrefix(d, module), r.Why)
			}
		}
	}
	if checked == 0 {
		t.Fatal("no package matched the rules")
	}
	var stale []string
	for from, deps := range allowed {
		for d := range deps {
			if !used[from+" -> "+d] {
				stale = append(stale, from+" -> "+d)
			}
		}
	}
	sort.Strings(stale)
	for _, s := range stale {
		t.Errorf("allowed %s is no longer needed: remove it from the list", s)
	}
}

func matchAny(patterns []string, path string) bool {
	for _, p := range patterns {
		if match(p, path) {
			return true
		}
	}
	return false
}

// allowedFor finds the allow-list entry excusing that from depends on dep.
// An entry for a folder also covers packages that import it (policies
// brings its dependencies to policies/builtins).
func allowedFor(from, dep string) (string, bool) {
	for pattern, deps := range allowed {
		rel := strings.TrimPrefix(dep, module)
		if _, ok := deps[rel]; !ok {
			continue
		}
		if match(pattern, from) {
			return fmt.Sprintf("%s -> %s", pattern, rel), true
		}
	}
	return "", false
}
