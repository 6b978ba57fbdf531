package query

import (
	"fmt"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"
	"github.com/open-policy-agent/opa/v1/types"
)

// PathBuiltin declares kscan_shortest_path(out, from, to, max): the shortest
// chain of forward edges from one node key to another in an edge map shaped
// like input.out (key -> edge type -> [key]), as [{key, edge}], or
// undefined when none is at most max edges long. Breadth-first search in
// Go: the same walk in Rego would enumerate every path.
var PathBuiltin = &ast.Builtin{
	Name: "kscan_shortest_path",
	Decl: types.NewFunction(
		types.Args(types.NewObject(nil, types.NewDynamicProperty(types.S, types.A)), types.S, types.S, types.N),
		types.NewArray(nil, types.A),
	),
	Nondeterministic: false,
}

// pathFunc implements PathBuiltin.
func pathFunc(_ rego.BuiltinContext, outT, fromT, toT, maxT *ast.Term) (*ast.Term, error) {
	out, ok := outT.Value.(ast.Object)
	if !ok {
		return nil, fmt.Errorf("kscan_shortest_path: edges must be an object")
	}
	from, ok1 := fromT.Value.(ast.String)
	to, ok2 := toT.Value.(ast.String)
	if !ok1 || !ok2 {
		return nil, fmt.Errorf("kscan_shortest_path: from and to must be node keys (strings)")
	}
	maxN, ok := maxT.Value.(ast.Number)
	depth, isInt := maxN.Int()
	if !ok || !isInt || depth < 0 {
		return nil, fmt.Errorf("kscan_shortest_path: max must be a non-negative integer")
	}
	steps, found := shortestPath(out, string(from), string(to), depth)
	if !found {
		return nil, nil // undefined
	}
	items := make([]*ast.Term, len(steps))
	for i, s := range steps {
		items[i] = ast.ObjectTerm(
			ast.Item(ast.StringTerm("key"), ast.StringTerm(s.key)),
			ast.Item(ast.StringTerm("edge"), ast.StringTerm(s.edge)),
		)
	}
	return ast.ArrayTerm(items...), nil
}

type step struct{ key, edge string }

// shortestPath walks out breadth-first. Edge types and targets are visited
// in the map's (sorted) order, so the path found is deterministic.
func shortestPath(out ast.Object, from, to string, depth int) ([]step, bool) {
	type prev struct{ key, edge string }
	seen := map[string]prev{from: {}}
	frontier := []string{from}
	for d := 0; d <= depth && len(frontier) > 0; d++ {
		var next []string
		for _, k := range frontier {
			if k == to {
				var rev []step
				edge := ""
				for cur := to; ; {
					rev = append(rev, step{key: cur, edge: edge})
					if cur == from {
						break
					}
					p := seen[cur]
					cur, edge = p.key, p.edge
				}
				out := make([]step, len(rev))
				for i := range rev {
					out[i] = rev[len(rev)-1-i]
				}
				return out, true
			}
			if d == depth {
				continue
			}
			t := out.Get(ast.StringTerm(k))
			if t == nil {
				continue
			}
			byType, ok := t.Value.(ast.Object)
			if !ok {
				continue
			}
			byType.Foreach(func(typ, targets *ast.Term) {
				arr, ok := targets.Value.(*ast.Array)
				if !ok {
					return
				}
				arr.Foreach(func(t *ast.Term) {
					s, ok := t.Value.(ast.String)
					if !ok {
						return
					}
					if _, done := seen[string(s)]; done {
						return
					}
					et, _ := typ.Value.(ast.String)
					seen[string(s)] = prev{key: k, edge: string(et)}
					next = append(next, string(s))
				})
			})
		}
		frontier = next
	}
	return nil, false
}

// pathFunction is PathBuiltin for rego.Function4.
func pathFunction() func(*rego.Rego) {
	return rego.Function4(&rego.Function{Name: PathBuiltin.Name, Decl: PathBuiltin.Decl}, pathFunc)
}
