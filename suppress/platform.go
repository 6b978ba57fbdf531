package suppress

import (
	_ "embed"
	"fmt"
	"strings"
	"sync"

	"go.yaml.in/yaml/v3"

	"github.com/kscan-io/kscan/finding"
	"github.com/kscan-io/kscan/glob"
	"github.com/kscan-io/kscan/graph"
)

// ProfilePlatform names kscan's default waiver set in justifications and
// docs.
const ProfilePlatform = "kscan.io/profile: platform"

//go:embed platform.yaml
var platformYAML []byte

// Waiver is one entry of the default waiver set: the findings of Rules on
// a workload of one of Kinds, in one of Namespaces, named one of Names,
// whose every image's repository matches one of Images.
type Waiver struct {
	Component  string   `yaml:"component"`
	Reason     string   `yaml:"reason"`
	Kinds      []string `yaml:"kinds"`
	Namespaces []string `yaml:"namespaces"`
	Names      []string `yaml:"names"`
	Images     []string `yaml:"images"`
	Rules      []string `yaml:"rules"`
}

var (
	platformOnce sync.Once
	platform     []Waiver
)

// DefaultWaivers returns the default waiver set (shared; do not change).
func DefaultWaivers() []Waiver {
	platformOnce.Do(func() {
		var doc struct {
			Waivers []Waiver `yaml:"waivers"`
		}
		if err := yaml.Unmarshal(platformYAML, &doc); err != nil {
			panic(fmt.Sprintf("kscan: embedded platform.yaml is invalid: %v", err)) // caught by tests
		}
		platform = doc.Waivers
	})
	return platform
}

// Justification is the text a waived finding carries.
func (w Waiver) Justification() string {
	return fmt.Sprintf("%s (default waiver for %s): %s Report it with --no-default-waivers.", ProfilePlatform, w.Component, w.Reason)
}

// Matches reports whether the waiver covers a rule on a workload object.
func (w Waiver) Matches(ruleID string, obj map[string]any) bool {
	return w.matchesNode(ruleID, &graph.Node{Object: obj})
}

// matchesNode is Matches for a node, whole or slim (graph.Slim).
func (w Waiver) matchesNode(ruleID string, n *graph.Node) bool {
	if !anyGlob(w.Rules, ruleID) {
		return false
	}
	kind, ns, name := graph.K8sMeta(n)
	if !anyGlob(w.Kinds, kind) || !anyGlob(w.Namespaces, ns) || !anyGlob(w.Names, name) {
		return false
	}
	images := graph.PodImages(n)
	if len(images) == 0 {
		return false // nothing to tell the component from a look-alike
	}
	for _, img := range images {
		if !anyGlob(w.Images, graph.ParseImageRef(strings.TrimSpace(img)).RepositoryID()) {
			return false
		}
	}
	return true
}

func anyGlob(patterns []string, s string) bool {
	for _, p := range patterns {
		if glob.Match(p, s) {
			return true
		}
	}
	return false
}

// applyDefaults waives the findings the default set covers, unless a
// suppression of the team's own already applies.
func applyDefaults(g *graph.Graph, r *finding.Report) {
	var byID map[string][]*graph.Node
	waivers := DefaultWaivers()
	for i := range r.Findings {
		f := &r.Findings[i]
		if f.Suppression != nil || !ruleWaivable(waivers, f.RuleID) {
			continue
		}
		if byID == nil {
			byID = map[string][]*graph.Node{}
			for _, n := range g.Nodes() {
				if graph.IsK8s(n) {
					byID[n.ID] = append(byID[n.ID], n)
				}
			}
		}
		for _, n := range byID[f.Resource] {
			if resKey(n.ID, finding.LocationOf(n.Source)) != resKey(f.Resource, f.Location) {
				continue
			}
			for _, w := range waivers {
				if w.matchesNode(f.RuleID, n) {
					f.Suppression = &finding.Suppression{Kind: KindExternal, Justification: w.Justification()}
					break
				}
			}
		}
	}
}

func ruleWaivable(ws []Waiver, id string) bool {
	for _, w := range ws {
		if anyGlob(w.Rules, id) {
			return true
		}
	}
	return false
}
