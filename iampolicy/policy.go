// Package iampolicy is a small evaluator of AWS IAM policy logic: parsing
// policy documents, matching actions and resources with wildcards,
// NotAction/NotResource, explicit Deny over Allow, permissions boundaries,
// condition operators, and trust-policy checks for IRSA. It is pure Go and
// knows nothing about where the policies came from; Enrich applies it to the
// IAM nodes of a graph.
package iampolicy

import (
	"encoding/json"
	"fmt"
	"maps"
	"net/url"
	"slices"
	"strings"
)

// Versions AWS accepts for a policy document. A document without Version is
// read as 2008-10-17, as AWS does.
var knownVersions = map[string]bool{"2012-10-17": true, "2008-10-17": true}

// Policy is a parsed policy document.
type Policy struct {
	Version    string
	Statements []Statement
}

// Statement is one statement with its lists lowercased where AWS compares
// case-insensitively (actions, condition keys).
type Statement struct {
	Index  int
	Sid    string
	Effect string // "Allow" or "Deny"

	Actions    []string // lowercased patterns
	NotAction  bool     // Actions came from NotAction
	Resources  []string
	NotResrc   bool // Resources came from NotResource
	HasResrc   bool // Resource or NotResource present (absent in trust policies)
	Principal  *Principals
	NotPrinc   *Principals
	Conditions []Condition
}

// Principals is a Principal element: "*" (Any) or a map of principal type
// (AWS, Service, Federated, CanonicalUser) to values.
type Principals struct {
	Any    bool
	ByType map[string][]string
}

// Condition is one (operator, key, values) triple of a Condition block.
type Condition struct {
	Op     string // as written, e.g. "ForAnyValue:StringLike"
	Key    string // lowercased
	RawKey string
	Values []string
}

// Label names a statement in messages: its Sid or its position.
func (s Statement) Label() string {
	if s.Sid != "" {
		return fmt.Sprintf("statement %q", s.Sid)
	}
	return fmt.Sprintf("statement %d", s.Index+1)
}

// Decode turns a policy document as it may arrive into a JSON object: an
// object already, a JSON string, or a URL-encoded JSON string (the IAM API
// returns documents URL-encoded).
func Decode(doc any) (map[string]any, error) {
	switch d := doc.(type) {
	case map[string]any:
		return d, nil
	case nil:
		return nil, fmt.Errorf("policy document is empty")
	case string:
		s := strings.TrimSpace(d)
		if strings.HasPrefix(s, "%") {
			u, err := url.PathUnescape(s)
			if err != nil {
				return nil, fmt.Errorf("policy document is not valid URL encoding: %v", err)
			}
			s = strings.TrimSpace(u)
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(s), &m); err != nil {
			return nil, fmt.Errorf("policy document is not valid JSON: %s", jsonErr(err))
		}
		if m == nil {
			return nil, fmt.Errorf("policy document is not a JSON object")
		}
		return m, nil
	}
	return nil, fmt.Errorf("policy document is a %s, want a JSON object", typeName(doc))
}

func jsonErr(err error) string {
	if se, ok := err.(*json.SyntaxError); ok {
		return fmt.Sprintf("%v (at byte %d)", se, se.Offset)
	}
	return err.Error()
}

// Parse reads a policy document (object, JSON string or URL-encoded JSON).
func Parse(doc any) (*Policy, error) {
	m, err := Decode(doc)
	if err != nil {
		return nil, err
	}
	p := &Policy{Version: "2008-10-17"}
	if v, ok := m["Version"]; ok {
		s, _ := v.(string)
		if !knownVersions[s] {
			return nil, fmt.Errorf("unknown policy Version %s (want \"2012-10-17\" or \"2008-10-17\")", quote(v))
		}
		p.Version = s
	}
	var raw []any
	switch st := m["Statement"].(type) {
	case []any:
		raw = st
	case map[string]any:
		raw = []any{st}
	case nil:
		return nil, fmt.Errorf("policy document has no Statement")
	default:
		return nil, fmt.Errorf("policy Statement is a %s, want an object or a list", typeName(st))
	}
	for i, r := range raw {
		sm, ok := r.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("statement %d is a %s, want an object", i+1, typeName(r))
		}
		s, err := parseStatement(i, sm)
		if err != nil {
			return nil, err
		}
		p.Statements = append(p.Statements, s)
	}
	return p, nil
}

func parseStatement(i int, m map[string]any) (Statement, error) {
	s := Statement{Index: i}
	s.Sid, _ = m["Sid"].(string)
	label := s.Label()
	switch e, _ := m["Effect"].(string); e {
	case "Allow", "Deny":
		s.Effect = e
	default:
		return s, fmt.Errorf("%s: Effect is %s, want \"Allow\" or \"Deny\"", label, quote(m["Effect"]))
	}
	var err error
	if v, ok := m["Action"]; ok {
		s.Actions, err = stringList(v)
	} else if v, ok := m["NotAction"]; ok {
		s.Actions, err = stringList(v)
		s.NotAction = true
	} else {
		return s, fmt.Errorf("%s has neither Action nor NotAction", label)
	}
	if err != nil {
		return s, fmt.Errorf("%s: Action: %v", label, err)
	}
	for j := range s.Actions {
		s.Actions[j] = strings.ToLower(s.Actions[j])
	}
	if v, ok := m["Resource"]; ok {
		s.Resources, err = stringList(v)
		s.HasResrc = true
	} else if v, ok := m["NotResource"]; ok {
		s.Resources, err = stringList(v)
		s.NotResrc, s.HasResrc = true, true
	}
	if err != nil {
		return s, fmt.Errorf("%s: Resource: %v", label, err)
	}
	if v, ok := m["Principal"]; ok {
		if s.Principal, err = parsePrincipals(v); err != nil {
			return s, fmt.Errorf("%s: Principal: %v", label, err)
		}
	}
	if v, ok := m["NotPrincipal"]; ok {
		if s.NotPrinc, err = parsePrincipals(v); err != nil {
			return s, fmt.Errorf("%s: NotPrincipal: %v", label, err)
		}
	}
	if v, ok := m["Condition"]; ok && v != nil {
		cm, ok := v.(map[string]any)
		if !ok {
			return s, fmt.Errorf("%s: Condition is a %s, want an object", label, typeName(v))
		}
		for _, op := range slices.Sorted(maps.Keys(cm)) {
			kv, ok := cm[op].(map[string]any)
			if !ok {
				return s, fmt.Errorf("%s: Condition %s is a %s, want an object", label, op, typeName(cm[op]))
			}
			for _, k := range slices.Sorted(maps.Keys(kv)) {
				vals, err := stringList(kv[k])
				if err != nil {
					return s, fmt.Errorf("%s: Condition %s %s: %v", label, op, k, err)
				}
				s.Conditions = append(s.Conditions, Condition{Op: op, Key: strings.ToLower(k), RawKey: k, Values: vals})
			}
		}
	}
	return s, nil
}

func parsePrincipals(v any) (*Principals, error) {
	switch t := v.(type) {
	case string:
		if t == "*" {
			return &Principals{Any: true}, nil
		}
		return nil, fmt.Errorf("%q: a string principal must be \"*\"", t)
	case map[string]any:
		p := &Principals{ByType: map[string][]string{}}
		for k, x := range t {
			vals, err := stringList(x)
			if err != nil {
				return nil, fmt.Errorf("%s: %v", k, err)
			}
			p.ByType[k] = vals
		}
		return p, nil
	}
	return nil, fmt.Errorf("is a %s, want \"*\" or an object", typeName(v))
}

// stringList reads a string or a list of strings (booleans and numbers, as
// in conditions, are turned into their text).
func stringList(v any) ([]string, error) {
	switch t := v.(type) {
	case string:
		return []string{t}, nil
	case bool, float64, int, int64, json.Number:
		return []string{fmt.Sprint(t)}, nil
	case []any:
		out := make([]string, 0, len(t))
		for _, e := range t {
			switch x := e.(type) {
			case string:
				out = append(out, x)
			case bool, float64, int, int64, json.Number:
				out = append(out, fmt.Sprint(x))
			default:
				return nil, fmt.Errorf("list element is a %s, want a string", typeName(e))
			}
		}
		return out, nil
	case []string:
		return append([]string(nil), t...), nil
	}
	return nil, fmt.Errorf("is a %s, want a string or a list of strings", typeName(v))
}

func typeName(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case string:
		return "string"
	case bool:
		return "boolean"
	case float64, int, int64, json.Number:
		return "number"
	case []any:
		return "list"
	case map[string]any:
		return "object"
	}
	return fmt.Sprintf("%T", v)
}

func quote(v any) string {
	if v == nil {
		return "null"
	}
	if s, ok := v.(string); ok {
		return fmt.Sprintf("%q", s)
	}
	b, _ := json.Marshal(v)
	return string(b)
}
