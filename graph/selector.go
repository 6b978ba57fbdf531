package graph

import (
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/selection"
)

// Label selectors with Kubernetes semantics (apimachinery's labels):
// matchLabels and matchExpressions (In, NotIn, Exists, DoesNotExist), all
// terms ANDed.

// Selector is a parsed label selector; the zero value selects everything.
type Selector struct {
	sel labels.Selector // nil: everything
}

// MapSelector is a Service-style selector: a plain map; an empty or missing
// map, or one with a value that is not a string, selects nothing.
func MapSelector(m map[string]any) Selector {
	if len(m) == 0 {
		return Selector{labels.Nothing()}
	}
	set := make(labels.Set, len(m))
	for k, v := range m {
		str, ok := v.(string)
		if !ok {
			return Selector{labels.Nothing()}
		}
		set[k] = str
	}
	// Not validated: keys and values are compared as written, as before.
	return Selector{labels.SelectorFromValidatedSet(set)}
}

// LabelSelector parses a metav1.LabelSelector. An empty selector ({})
// selects everything; a nil one selects nothing. Of the forms the API server
// rejects, kscan (which sees them in manifests) reads a matchLabels value
// that is not a string as "", ignores values of Exists and DoesNotExist and
// an NotIn without values, and selects nothing for an unknown operator, an
// In without values, or a key or value in an expression that is not a valid
// label key or value.
func LabelSelector(v any) Selector {
	m, ok := v.(map[string]any)
	if !ok {
		return Selector{labels.Nothing()}
	}
	ml, _ := m["matchLabels"].(map[string]any)
	set := make(labels.Set, len(ml))
	for k, v := range ml {
		str, _ := v.(string)
		set[k] = str
	}
	sel := labels.SelectorFromValidatedSet(set)
	me, _ := m["matchExpressions"].([]any)
	for _, e := range me {
		em, _ := e.(map[string]any)
		key, _ := em["key"].(string)
		op, _ := em["operator"].(string)
		var vals []string
		if vs, ok := em["values"].([]any); ok {
			for _, v := range vs {
				if str, ok := v.(string); ok {
					vals = append(vals, str)
				}
			}
		}
		var r *labels.Requirement
		var err error
		switch op {
		case "In":
			if len(vals) == 0 {
				return Selector{labels.Nothing()}
			}
			r, err = labels.NewRequirement(key, selection.In, vals)
		case "NotIn":
			if len(vals) == 0 {
				continue
			}
			r, err = labels.NewRequirement(key, selection.NotIn, vals)
		case "Exists":
			r, err = labels.NewRequirement(key, selection.Exists, nil)
		case "DoesNotExist":
			r, err = labels.NewRequirement(key, selection.DoesNotExist, nil)
		default:
			return Selector{labels.Nothing()}
		}
		if err != nil {
			return Selector{labels.Nothing()}
		}
		sel = sel.Add(*r)
	}
	return Selector{sel}
}

// Matches reports whether labels satisfy the selector.
func (s Selector) Matches(l map[string]string) bool {
	return s.sel == nil || s.sel.Matches(labels.Set(l))
}
