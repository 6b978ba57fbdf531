package policies

import "fmt"

// Watch is what a rule's findings (or a named query's rows) depend on, as
// its METADATA custom.watch declares it, so that kscan scan --watch and
// kscan query --watch re-evaluate only what a change of a live cluster can
// touch (internal/incremental). The zero value, no declaration, is always
// right: every change re-evaluates the whole cluster.
type Watch struct {
	// Namespace ("watch: namespace"): every finding (row) is about one
	// node. One about a namespaced object of namespace N, or about the
	// Namespace N itself, depends only on the objects of N, on the
	// Namespace N, on the objects of the namespaces N's objects name or are
	// named by (RoleBinding subjects, Gateway API references) and on nodes
	// that are not namespaced (cluster-scoped objects other than
	// Namespaces; IAM, registry and Pulumi nodes). One about a node that is
	// not namespaced depends on such nodes only.
	Namespace bool `json:"namespace,omitempty"`
	// Types ("watch: [k8s:rbac.authorization.k8s.io/Role, …]"): the findings
	// depend only on objects of these node types (globs: "aws:*"), wherever
	// they are; a change of another type leaves them as they are.
	Types []string `json:"types,omitempty"`
}

// Declared reports whether w says anything (else: evaluate everything).
func (w Watch) Declared() bool { return w.Namespace || len(w.Types) > 0 }

// ParseWatch reads METADATA custom.watch: absent, "namespace", or a list
// of node types.
func ParseWatch(v any) (Watch, error) {
	switch x := v.(type) {
	case nil:
		return Watch{}, nil
	case string:
		if x == "namespace" {
			return Watch{Namespace: true}, nil
		}
	case []any:
		types := stringList(x)
		if len(types) == len(x) && len(types) > 0 {
			return Watch{Types: types}, nil
		}
	}
	return Watch{}, fmt.Errorf("METADATA custom.watch must be \"namespace\" or a list of node types, not %v", v)
}
