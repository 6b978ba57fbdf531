package graph

import (
	_ "embed"
	"fmt"
	"sync"

	"go.yaml.in/yaml/v3"
)

//go:embed builtin/clusterroles.yaml
var builtinClusterRolesYAML []byte

var (
	builtinOnce  sync.Once
	builtinRoles map[string]map[string]any
)

// BuiltinClusterRoles returns Kubernetes' default ClusterRoles by name. The
// maps are shared: callers must copy before changing them.
func BuiltinClusterRoles() map[string]map[string]any {
	builtinOnce.Do(func() {
		var list struct {
			Items []map[string]any `yaml:"items"`
		}
		if err := yaml.Unmarshal(builtinClusterRolesYAML, &list); err != nil {
			panic(fmt.Sprintf("kscan: embedded clusterroles.yaml is invalid: %v", err)) // caught by tests
		}
		builtinRoles = map[string]map[string]any{}
		for _, r := range list.Items {
			meta, _ := r["metadata"].(map[string]any)
			name, _ := meta["name"].(string)
			builtinRoles[name] = r
		}
	})
	return builtinRoles
}
