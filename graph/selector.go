package graph

// Label selectors with Kubernetes semantics: matchLabels and matchExpressions
// (In, NotIn, Exists, DoesNotExist), all terms ANDed.

// Selector is a parsed label selector.
type Selector struct {
	matchLabels map[string]string
	exprs       []selectorExpr
	// nothing is true for a nil selector where Kubernetes selects nothing
	// (e.g. a Service without a selector).
	nothing bool
}

type selectorExpr struct {
	key, op string
	values  map[string]bool
}

// MapSelector is a Service-style selector: a plain map; an empty or missing
// map selects nothing.
func MapSelector(m map[string]any) Selector {
	if len(m) == 0 {
		return Selector{nothing: true}
	}
	s := Selector{matchLabels: map[string]string{}}
	for k, v := range m {
		if str, ok := v.(string); ok {
			s.matchLabels[k] = str
		} else {
			return Selector{nothing: true}
		}
	}
	return s
}

// LabelSelector parses a metav1.LabelSelector. An empty selector ({})
// selects everything; a nil one selects nothing.
func LabelSelector(v any) Selector {
	m, ok := v.(map[string]any)
	if !ok {
		return Selector{nothing: true}
	}
	s := Selector{matchLabels: map[string]string{}}
	if ml, ok := m["matchLabels"].(map[string]any); ok {
		for k, v := range ml {
			str, _ := v.(string)
			s.matchLabels[k] = str
		}
	}
	if me, ok := m["matchExpressions"].([]any); ok {
		for _, e := range me {
			em, _ := e.(map[string]any)
			key, _ := em["key"].(string)
			op, _ := em["operator"].(string)
			vals := map[string]bool{}
			if vs, ok := em["values"].([]any); ok {
				for _, v := range vs {
					if str, ok := v.(string); ok {
						vals[str] = true
					}
				}
			}
			s.exprs = append(s.exprs, selectorExpr{key: key, op: op, values: vals})
		}
	}
	return s
}

// Matches reports whether labels satisfy the selector.
func (s Selector) Matches(labels map[string]string) bool {
	if s.nothing {
		return false
	}
	for k, v := range s.matchLabels {
		if lv, ok := labels[k]; !ok || lv != v {
			return false
		}
	}
	for _, e := range s.exprs {
		lv, has := labels[e.key]
		switch e.op {
		case "In":
			if !has || !e.values[lv] {
				return false
			}
		case "NotIn":
			if has && e.values[lv] {
				return false
			}
		case "Exists":
			if !has {
				return false
			}
		case "DoesNotExist":
			if has {
				return false
			}
		default:
			return false // an unknown operator matches nothing, as the API server would reject it
		}
	}
	return true
}
