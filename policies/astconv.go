package policies

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"
	"unsafe"

	"github.com/open-policy-agent/opa/v1/ast"
)

// interner shares one *ast.Term between equal values: short strings (object
// keys such as "name", "image", "app" and common values), small integers,
// and whole objects and arrays that occur more than once (labels repeated in
// a Deployment's metadata, selector and template; the same securityContext,
// resources or probe in every container). Input values are only read during
// evaluation, so sharing is safe, and it cuts the input's memory by a large
// fraction on big scans. One interner is used per goroutine.
//
// Objects and arrays are hash-consed bottom-up: their elements are already
// canonical terms, so two are equal exactly when they hold the same keys and
// the same element terms, which is checked by pointer before anything is
// built. A duplicate costs no allocation.
type interner struct {
	strings map[string]*ast.Term
	ints    map[int64]*ast.Term
	objects map[uint64][]*ast.Term
	arrays  map[uint64][]*ast.Term
	items   [][2]*ast.Term // scratch stack of object entries being built
	elems   []*ast.Term    // scratch stack of array elements being built
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

// identity hashes a term by address: canonical terms are equal exactly when
// they are the same term. The address is only hashed, never dereferenced,
// and Go's collector does not move heap objects.
func identity(t *ast.Term) uint64 {
	x := uint64(uintptr(unsafe.Pointer(t)))
	x ^= x >> 33
	x *= 0xff51afd7ed558ccd
	x ^= x >> 33
	return x
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
	case map[string]any:
		return in.object(t)
	case []any:
		return in.array(t)
	}
	val, err := in.value(v)
	if err != nil {
		return nil, err
	}
	return ast.NewTerm(val), nil
}

// object returns the canonical term of a map.
func (in *interner) object(m map[string]any) (*ast.Term, error) {
	start := len(in.items)
	var h uint64
	for k, e := range m {
		et, err := in.term(e)
		if err != nil {
			in.items = in.items[:start]
			return nil, err
		}
		kt := in.str(k)
		in.items = append(in.items, [2]*ast.Term{kt, et})
		h += identity(kt)*31 + identity(et) // order-independent: map order is random
	}
	items := in.items[start:]
	defer func() { in.items = in.items[:start] }()
	if in.objects == nil {
		in.objects = map[uint64][]*ast.Term{}
	}
next:
	for _, c := range in.objects[h] {
		obj := c.Value.(ast.Object)
		if obj.Len() != len(items) {
			continue
		}
		for _, it := range items {
			if obj.Get(it[0]) != it[1] {
				continue next
			}
		}
		return c, nil
	}
	t := ast.NewTerm(ast.NewObject(items...))
	in.objects[h] = append(in.objects[h], t)
	return t, nil
}

// array returns the canonical term of a list.
func (in *interner) array(a []any) (*ast.Term, error) {
	start := len(in.elems)
	h := uint64(len(a))
	for _, e := range a {
		et, err := in.term(e)
		if err != nil {
			in.elems = in.elems[:start]
			return nil, err
		}
		in.elems = append(in.elems, et)
		h = h*1099511628211 + identity(et)
	}
	elems := in.elems[start:]
	defer func() { in.elems = in.elems[:start] }()
	if in.arrays == nil {
		in.arrays = map[uint64][]*ast.Term{}
	}
next:
	for _, c := range in.arrays[h] {
		arr := c.Value.(*ast.Array)
		if arr.Len() != len(elems) {
			continue
		}
		for i, e := range elems {
			if arr.Elem(i) != e {
				continue next
			}
		}
		return c, nil
	}
	t := ast.ArrayTerm(slices.Clone(elems)...)
	in.arrays[h] = append(in.arrays[h], t)
	return t, nil
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
		t2, err := in.object(t)
		if err != nil {
			return nil, err
		}
		return t2.Value, nil
	case []any:
		t2, err := in.array(t)
		if err != nil {
			return nil, err
		}
		return t2.Value, nil
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
