// Package fastyaml decodes one YAML (or JSON) document into plain Go values —
// map[string]any, []any, string, int64, float64, bool, nil — with the line of
// the document's root and of its List "items". Manifests in the YAML people
// actually write take a hand-written fast path; anything else is decoded by
// yaml.v3 into the same values, under limits that turn hostile input (alias
// bombs, absurd nesting) into an error instead of unbounded memory.
package fastyaml

import (
	"bytes"
	"fmt"
	"strconv"
	"sync/atomic"

	"go.yaml.in/yaml/v3"
)

// Limits on one document.
const (
	maxDepth = 512
	// maxExpandedValues bounds the values one document may expand to after
	// YAML aliases are resolved; real manifests are far below it.
	maxExpandedValues = 2_000_000
)

// MaxAliasedValues is the usual budget of values all documents of one scan
// may reach through YAML aliases together (real manifests rarely use aliases
// at all): the per-document limit alone let 200 small alias bombs exhaust
// memory together.
const MaxAliasedValues = 4_000_000

// Options are the state Decode shares across documents; the zero value is
// ready (no string sharing, no scan-wide alias budget).
type Options struct {
	// Strings shares short strings between documents decoded by one
	// goroutine; nil: none shared.
	Strings *Strings
	// Aliases is the scan's remaining budget of values reached through
	// aliases, shared by goroutines; nil: only the per-document limit.
	Aliases *atomic.Int64
}

// Locator gives the 1-based line (within the document) of a decoded value
// and of its "items" elements, whichever decoder produced it.
type Locator interface {
	Line() int
	Item(i int) Locator // nil when unknown
}

// LimitError is a document over one of the limits, or with a key that is
// not a scalar; Line is 1-based within the document.
type LimitError struct {
	Line int
	Msg  string
}

func (e *LimitError) Error() string { return e.Msg }

// DupKeyError is a key given twice in one mapping; lines are 1-based within
// the document.
type DupKeyError struct {
	Key         string
	Line, First int
}

func (e *DupKeyError) Error() string {
	return fmt.Sprintf("line %d: duplicate key %q (first at line %d)", e.Line, e.Key, e.First)
}

// Decode decodes one document (the caller splits a stream at its "---"
// markers). The error is a *LimitError, a *DupKeyError or yaml.v3's own.
func Decode(doc []byte, o Options) (any, Locator, error) {
	if v, pos, ok := decodeFast(doc, o.Strings); ok {
		return v, pos, nil
	}
	return decodeSlow(doc, o.Aliases)
}

// decodeSlow decodes any document through yaml.v3, with the limits above,
// charging values reached through aliases to the shared budget (when not nil).
func decodeSlow(doc []byte, aliases *atomic.Int64) (any, Locator, error) {
	var root yaml.Node
	if err := yaml.Unmarshal(doc, &root); err != nil {
		return nil, nil, err
	}
	c := &converter{budget: maxExpandedValues, shared: aliases}
	v, err := c.convert(&root, 0)
	if err != nil {
		return nil, nil, err
	}
	top := &root
	if top.Kind == yaml.DocumentNode && len(top.Content) > 0 {
		top = top.Content[0]
	}
	return v, nodeLocator{top}, nil
}

type nodeLocator struct{ n *yaml.Node }

func (l nodeLocator) Line() int { return l.n.Line }
func (l nodeLocator) Item(i int) Locator {
	if l.n.Kind != yaml.MappingNode {
		return nil
	}
	for k := 0; k+1 < len(l.n.Content); k += 2 {
		if l.n.Content[k].Value != "items" {
			continue
		}
		if items := l.n.Content[k+1]; i < len(items.Content) {
			return nodeLocator{items.Content[i]}
		}
		return nil
	}
	return nil
}

func (p *position) Line() int { return p.line }
func (p *position) Item(i int) Locator {
	if i < len(p.items) && p.items[i] != nil {
		return p.items[i]
	}
	return nil
}

// isMarker is a "---" document marker line.
func isMarker(l []byte) bool {
	return bytes.HasPrefix(l, []byte("---")) && (len(l) == 3 || l[3] == ' ' || l[3] == '\t')
}

// converter turns a yaml.Node tree into plain Go values (map[string]any,
// []any, string, int64, float64, bool, nil), enforcing the limits above.
type converter struct {
	budget  int
	shared  *atomic.Int64 // the scan's alias budget, or nil
	aliased int           // > 0 while converting what an alias points at
}

func (c *converter) convert(n *yaml.Node, depth int) (any, error) {
	if depth > maxDepth {
		return nil, &LimitError{n.Line, fmt.Sprintf("document is nested deeper than %d levels", maxDepth)}
	}
	c.budget--
	if c.budget < 0 {
		return nil, &LimitError{n.Line, fmt.Sprintf("document expands to more than %d values (a YAML alias bomb?)", maxExpandedValues)}
	}
	if c.aliased > 0 && c.shared != nil && c.shared.Add(-1) < 0 {
		return nil, &LimitError{n.Line, fmt.Sprintf("the scan's YAML aliases expand to more than %d values in total (YAML alias bombs?); this document is not scanned", MaxAliasedValues)}
	}
	switch n.Kind {
	case yaml.DocumentNode:
		if len(n.Content) == 0 {
			return nil, nil
		}
		return c.convert(n.Content[0], depth)
	case yaml.AliasNode:
		c.aliased++
		defer func() { c.aliased-- }()
		return c.convert(n.Alias, depth+1)
	case yaml.MappingNode:
		m := make(map[string]any, len(n.Content)/2)
		var seen map[string]int // key -> line, for keys written in this mapping
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			if k.Kind == yaml.ScalarNode && k.Tag == "!!merge" {
				// "<<: *base" merges the aliased mapping(s) in.
				if err := c.merge(m, v, depth); err != nil {
					return nil, err
				}
				continue
			}
			key := k.Value
			if k.Kind != yaml.ScalarNode {
				return nil, &LimitError{k.Line, "mapping key is not a scalar"}
			}
			// A repeated key is an error, as for kubectl apply and the API
			// server; taking the last value would scan something nobody
			// can apply. (Keys merged in with "<<" may be overridden.)
			if first, dup := seen[key]; dup {
				return nil, &DupKeyError{Key: key, Line: k.Line, First: first}
			}
			if seen == nil {
				seen = make(map[string]int, len(n.Content)/2)
			}
			seen[key] = k.Line
			val, err := c.convert(v, depth+1)
			if err != nil {
				return nil, err
			}
			m[key] = val
		}
		return m, nil
	case yaml.SequenceNode:
		s := make([]any, 0, len(n.Content))
		for _, e := range n.Content {
			v, err := c.convert(e, depth+1)
			if err != nil {
				return nil, err
			}
			s = append(s, v)
		}
		return s, nil
	case yaml.ScalarNode:
		return scalar(n), nil
	}
	return nil, nil
}

func (c *converter) merge(m map[string]any, v *yaml.Node, depth int) error {
	val, err := c.convert(v, depth+1)
	if err != nil {
		return err
	}
	var srcs []any
	if l, ok := val.([]any); ok {
		srcs = l
	} else {
		srcs = []any{val}
	}
	for _, s := range srcs {
		if sm, ok := s.(map[string]any); ok {
			for k, e := range sm {
				if _, exists := m[k]; !exists {
					m[k] = e
				}
			}
		}
	}
	return nil
}

func scalar(n *yaml.Node) any {
	switch n.ShortTag() {
	case "!!null":
		return nil
	case "!!bool":
		b, err := strconv.ParseBool(n.Value)
		if err != nil {
			return n.Value
		}
		return b
	case "!!int":
		if i, err := strconv.ParseInt(n.Value, 0, 64); err == nil {
			return i
		}
		var v any
		if err := n.Decode(&v); err == nil {
			return v
		}
		return n.Value
	case "!!float":
		var f float64
		if err := n.Decode(&f); err == nil {
			return f
		}
		return n.Value
	}
	return n.Value
}
