package policies

import (
	"encoding/json"
	"fmt"
	"math"

	"github.com/open-policy-agent/opa/v1/ast"
)

// toAST converts the plain values collectors produce (map[string]any, []any,
// string, bool, nil, int/int64/float64, json.Number, map[string]string,
// []string) to Rego values directly. It is several times faster than
// ast.InterfaceToValue, which goes through reflection; anything else falls
// back to it.
func toAST(v any) (ast.Value, error) {
	switch t := v.(type) {
	case nil:
		return ast.NullValue, nil
	case string:
		return ast.String(t), nil
	case bool:
		return ast.Boolean(t), nil
	case int64:
		return ast.Number(json.Number(fmt.Sprint(t))), nil
	case int:
		return ast.Number(json.Number(fmt.Sprint(t))), nil
	case float64:
		if math.IsNaN(t) || math.IsInf(t, 0) {
			return ast.String(fmt.Sprint(t)), nil
		}
		return ast.Number(json.Number(fmt.Sprint(t))), nil
	case json.Number:
		return ast.Number(t), nil
	case map[string]any:
		items := make([][2]*ast.Term, 0, len(t))
		for k, e := range t {
			ev, err := toAST(e)
			if err != nil {
				return nil, err
			}
			items = append(items, [2]*ast.Term{ast.StringTerm(k), ast.NewTerm(ev)})
		}
		return ast.NewObject(items...), nil
	case []any:
		terms := make([]*ast.Term, len(t))
		for i, e := range t {
			ev, err := toAST(e)
			if err != nil {
				return nil, err
			}
			terms[i] = ast.NewTerm(ev)
		}
		return ast.NewArray(terms...), nil
	case map[string]string:
		items := make([][2]*ast.Term, 0, len(t))
		for k, e := range t {
			items = append(items, [2]*ast.Term{ast.StringTerm(k), ast.StringTerm(e)})
		}
		return ast.NewObject(items...), nil
	case []string:
		terms := make([]*ast.Term, len(t))
		for i, e := range t {
			terms[i] = ast.StringTerm(e)
		}
		return ast.NewArray(terms...), nil
	}
	return ast.InterfaceToValue(v)
}
