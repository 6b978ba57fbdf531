package graph

import (
	"embed"
	"fmt"
	"path"
	"sort"
	"strconv"
	"strings"
	"sync"

	"go.yaml.in/yaml/v3"
)

// builtinFS holds Kubernetes' bootstrap RBAC policy, one file per supported
// minor version (bootstrap-v1.NN.yaml), generated from the real API server
// by hack/bootstrap-rbac.sh.
//
//go:embed builtin/bootstrap-*.yaml
var builtinFS embed.FS

// Bootstrap is the RBAC policy an API server of one Kubernetes minor
// version creates for itself: its ClusterRoles, ClusterRoleBindings, and the
// Roles and RoleBindings in kube-system and kube-public.
type Bootstrap struct {
	// Version is "v1.37".
	Version string
	// Objects in file order (kind, namespace, name).
	Objects []map[string]any
	byID    map[string]map[string]any
	roles   map[string]map[string]any
}

// Lookup returns the bootstrap object of a kind, namespace ("" for
// cluster-scoped kinds) and name, or nil. The map is shared: callers must
// copy before changing it.
func (b *Bootstrap) Lookup(kind, ns, name string) map[string]any {
	if b == nil {
		return nil
	}
	return b.byID[kind+"/"+ns+"/"+name]
}

// ClusterRoles returns the bootstrap ClusterRoles by name (shared maps).
func (b *Bootstrap) ClusterRoles() map[string]map[string]any {
	if b == nil {
		return nil
	}
	return b.roles
}

var (
	bootstrapOnce sync.Once
	bootstraps    map[string]*Bootstrap // by "v1.NN"
	bootstrapErr  error
)

func loadBootstraps() {
	bootstraps = map[string]*Bootstrap{}
	files, err := builtinFS.ReadDir("builtin")
	if err != nil {
		bootstrapErr = err
		return
	}
	for _, f := range files {
		name := f.Name()
		if !strings.HasPrefix(name, "bootstrap-") || !strings.HasSuffix(name, ".yaml") {
			continue
		}
		v := strings.TrimSuffix(strings.TrimPrefix(name, "bootstrap-"), ".yaml")
		data, err := builtinFS.ReadFile(path.Join("builtin", name))
		if err != nil {
			bootstrapErr = err
			return
		}
		var list struct {
			Items []map[string]any `yaml:"items"`
		}
		if err := yaml.Unmarshal(data, &list); err != nil {
			bootstrapErr = fmt.Errorf("embedded %s: %w", name, err)
			return
		}
		b := &Bootstrap{Version: v, Objects: list.Items, byID: map[string]map[string]any{}, roles: map[string]map[string]any{}}
		for _, o := range list.Items {
			kind, _ := o["kind"].(string)
			meta, _ := o["metadata"].(map[string]any)
			n, _ := meta["name"].(string)
			ns, _ := meta["namespace"].(string)
			b.byID[kind+"/"+ns+"/"+n] = o
			if kind == "ClusterRole" {
				b.roles[n] = o
			}
		}
		bootstraps[v] = b
	}
	if len(bootstraps) == 0 {
		bootstrapErr = fmt.Errorf("no bootstrap RBAC policy embedded")
	}
}

// KubeVersions lists the Kubernetes minor versions kscan ships bootstrap
// RBAC data for ("v1.37"), oldest first.
func KubeVersions() []string {
	bootstrapOnce.Do(loadBootstraps)
	out := make([]string, 0, len(bootstraps))
	for v := range bootstraps {
		out = append(out, v)
	}
	sort.Slice(out, func(i, j int) bool { return minorOf(out[i]) < minorOf(out[j]) })
	return out
}

// NewestKubeVersion is the newest supported minor version.
func NewestKubeVersion() string {
	vs := KubeVersions()
	if len(vs) == 0 {
		return ""
	}
	return vs[len(vs)-1]
}

// MinorVersion normalises "1.37", "v1.37.2", "v1.37.2-eks-abc" and
// "v1.37.0+k3s1" to "v1.37"; ok is false for anything else.
func MinorVersion(v string) (string, bool) {
	s := strings.TrimPrefix(strings.TrimSpace(v), "v")
	parts := strings.SplitN(s, ".", 3)
	if len(parts) < 2 {
		return "", false
	}
	minor := parts[1]
	if i := strings.IndexFunc(minor, func(r rune) bool { return r < '0' || r > '9' }); i >= 0 {
		minor = minor[:i]
	}
	if _, err := strconv.Atoi(parts[0]); err != nil || minor == "" || parts[0] != "1" {
		return "", false
	}
	return "v1." + minor, true
}

func minorOf(v string) int {
	n, _ := strconv.Atoi(strings.TrimPrefix(v, "v1."))
	return n
}

// BootstrapFor returns the bootstrap policy of Kubernetes version v (any
// form MinorVersion reads; "" is the newest supported). For a version kscan
// has no data for it returns the nearest supported one with exact false.
func BootstrapFor(v string) (b *Bootstrap, exact bool) {
	bootstrapOnce.Do(loadBootstraps)
	if bootstrapErr != nil {
		panic(fmt.Sprintf("kscan: %v", bootstrapErr)) // caught by tests
	}
	if v == "" {
		return bootstraps[NewestKubeVersion()], true
	}
	mv, ok := MinorVersion(v)
	if !ok {
		return bootstraps[NewestKubeVersion()], false
	}
	if b := bootstraps[mv]; b != nil {
		return b, true
	}
	want := minorOf(mv)
	best, bestDist := "", -1
	for _, s := range KubeVersions() {
		d := minorOf(s) - want
		if d < 0 {
			d = -d
		}
		// Ties go to the newer version (ranging oldest first, <=).
		if bestDist < 0 || d <= bestDist {
			best, bestDist = s, d
		}
	}
	return bootstraps[best], false
}

// clusterVersions records the Kubernetes version of each cluster of a
// graph (discovery for live clusters, --kube-version for files under "").
type clusterVersions struct {
	mu sync.Mutex
	m  map[string]string
}

// SetKubeVersion records the Kubernetes version of a cluster ("" for files).
func (g *Graph) SetKubeVersion(cluster, version string) {
	g.versions.mu.Lock()
	defer g.versions.mu.Unlock()
	if g.versions.m == nil {
		g.versions.m = map[string]string{}
	}
	g.versions.m[cluster] = version
}

// KubeVersion is the recorded version of a cluster, "" when unknown.
func (g *Graph) KubeVersion(cluster string) string {
	g.versions.mu.Lock()
	defer g.versions.mu.Unlock()
	return g.versions.m[cluster]
}
