package policies

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"

	"github.com/open-policy-agent/opa/v1/ast"
)

// toAST converts the plain values collectors produce (map[string]any, []any,
// string, bool, nil, int/int64/float64, json.Number, map[string]string,
// []string) to Rego values directly. It is several times faster than
// ast.InterfaceToValue, which goes through reflection; anything else falls
// back to it.
func toAST(v any) (ast.Value, error) { return (&interner{}).value(v) }

// interner shares one *ast.Term between equal values: short strings (object
// keys such as "name", "image", "app" and common values), small integers,
// and whole objects and arrays that occur more than once (labels repeated in
// a Deployment's metadata, selector and template; the same securityContext,
// resources or probe in every container). Input values are only read during
// evaluation, so sharing is safe, and it cuts the input's memory by a large
// fraction on big scans. One interner is used per goroutine.
type interner struct {
	strings map[string]*ast.Term
	ints    map[int64]*ast.Term
	shared  map[int][]*ast.Term
}

// maxInterned bounds the strings worth sharing: long ones rarely repeat.
const maxInterned = 64

var (
	trueTerm  = ast.BooleanTerm(true)
	falseTerm = ast.BooleanTerm(false)
	nullTerm  = ast.NullTerm()
)

func (in *interner) str(s string) *ast.Term {
	if len(s) > maxInterned {
		return ast.StringTerm(s)
	}
	if in.strings == nil {
		in.strings = map[string]*ast.Term{}
	}
	t, ok := in.strings[s]
	if !ok {
		t = ast.StringTerm(s)
		in.strings[s] = t
	}
	return t
}

func (in *interner) int(i int64) *ast.Term {
	if in.ints == nil {
		in.ints = map[int64]*ast.Term{}
	}
	t, ok := in.ints[i]
	if !ok {
		t = ast.NewTerm(ast.Number(strconv.FormatInt(i, 10)))
		in.ints[i] = t
	}
	return t
}

// share returns an earlier term equal to t (an object or array), or
// remembers t. Hashes of objects and arrays are computed as they are built,
// so the lookup is cheap; equal hashes are confirmed by comparison.
func (in *interner) share(t *ast.Term) *ast.Term {
	h := t.Value.Hash()
	if in.shared == nil {
		in.shared = map[int][]*ast.Term{}
	}
	for _, c := range in.shared[h] {
		if c.Value.Compare(t.Value) == 0 {
			return c
		}
	}
	in.shared[h] = append(in.shared[h], t)
	return t
}

func (in *interner) term(v any) (*ast.Term, error) {
	switch t := v.(type) {
	case string:
		return in.str(t), nil
	case bool:
		if t {
			return trueTerm, nil
		}
		return falseTerm, nil
	case nil:
		return nullTerm, nil
	case int64:
		return in.int(t), nil
	case int:
		return in.int(int64(t)), nil
	}
	val, err := in.value(v)
	if err != nil {
		return nil, err
	}
	switch val.(type) {
	case ast.Object, *ast.Array:
		return in.share(ast.NewTerm(val)), nil
	}
	return ast.NewTerm(val), nil
}

func (in *interner) value(v any) (ast.Value, error) {
	switch t := v.(type) {
	case nil:
		return ast.NullValue, nil
	case string:
		return ast.String(t), nil
	case bool:
		return ast.Boolean(t), nil
	case int64:
		return ast.Number(strconv.FormatInt(t, 10)), nil
	case int:
		return ast.Number(strconv.Itoa(t)), nil
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
			et, err := in.term(e)
			if err != nil {
				return nil, err
			}
			items = append(items, [2]*ast.Term{in.str(k), et})
		}
		return ast.NewObject(items...), nil
	case []any:
		terms := make([]*ast.Term, len(t))
		for i, e := range t {
			et, err := in.term(e)
			if err != nil {
				return nil, err
			}
			terms[i] = et
		}
		return ast.NewArray(terms...), nil
	case map[string]string:
		items := make([][2]*ast.Term, 0, len(t))
		for k, e := range t {
			items = append(items, [2]*ast.Term{in.str(k), in.str(e)})
		}
		return ast.NewObject(items...), nil
	case []string:
		terms := make([]*ast.Term, len(t))
		for i, e := range t {
			terms[i] = in.str(e)
		}
		return ast.NewArray(terms...), nil
	}
	return ast.InterfaceToValue(v)
}
