package graph

import "encoding/json"

// PlainNumbers turns json.Number values (from a JSON decoder with
// UseNumber, or from OPA's ast.JSON) into int64, else float64, in place, so
// objects read from JSON hold the same types the YAML collectors produce.
func PlainNumbers(v any) any {
	switch t := v.(type) {
	case map[string]any:
		for k, e := range t {
			t[k] = PlainNumbers(e)
		}
		return t
	case []any:
		for i, e := range t {
			t[i] = PlainNumbers(e)
		}
		return t
	case json.Number:
		if i, err := t.Int64(); err == nil {
			return i
		}
		if f, err := t.Float64(); err == nil {
			return f
		}
		return t.String()
	}
	return v
}
