package manifest

import (
	"bytes"
	"fmt"
	"strconv"
	"sync/atomic"

	"go.yaml.in/yaml/v3"
)

// Limits on one document, so that hostile input (alias bombs, absurd
// nesting) gets an error instead of unbounded memory or a crash.
const (
	maxDepth = 512
	// maxExpandedValues bounds the values one document may expand to after
	// YAML aliases are resolved; real manifests are far below it.
	maxExpandedValues = 2_000_000
)

// MaxAliasedValues bounds the values all documents of one scan may reach
// through YAML aliases together (real manifests rarely use aliases at all).
const MaxAliasedValues = 4_000_000

// document is one YAML document of a file, with the line it starts on.
type document struct {
	data      []byte
	firstLine int // 1-based line of the document's first byte in the file
}

// splitDocuments cuts a YAML stream at its "---" document markers. Parsing
// documents one by one lets a syntax error in one be reported while the
// others are still scanned. A marker line cannot occur inside a block scalar
// at column 0, so a line-based split is faithful to YAML.
func splitDocuments(data []byte) []document {
	var docs []document
	start, startLine, line := 0, 1, 1
	for i := 0; i < len(data); line++ {
		next := len(data)
		if end := bytes.IndexByte(data[i:], '\n'); end >= 0 {
			next = i + end + 1
		}
		l := bytes.TrimRight(data[i:next], "\r\n")
		switch {
		case bytes.Equal(l, []byte("...")):
			docs = append(docs, document{data[start:i], startLine})
			start, startLine = next, line+1
		case isMarker(l):
			// The new document starts at the marker itself: a leading "---"
			// is valid YAML and keeps "--- |" or "--- {a: 1}" content intact.
			docs = append(docs, document{data[start:i], startLine})
			start, startLine = i, line
		}
		i = next
	}
	return append(docs, document{data[start:], startLine})
}

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

type limitError struct {
	line int
	msg  string
}

func (e *limitError) Error() string { return e.msg }

// dupKeyError is a key given twice in one mapping; lines are 1-based within
// the document.
type dupKeyError struct {
	key         string
	line, first int
}

func (e *dupKeyError) Error() string {
	return fmt.Sprintf("line %d: duplicate key %q (first at line %d)", e.line, e.key, e.first)
}

func (c *converter) convert(n *yaml.Node, depth int) (any, error) {
	if depth > maxDepth {
		return nil, &limitError{n.Line, fmt.Sprintf("document is nested deeper than %d levels", maxDepth)}
	}
	c.budget--
	if c.budget < 0 {
		return nil, &limitError{n.Line, fmt.Sprintf("document expands to more than %d values (a YAML alias bomb?)", maxExpandedValues)}
	}
	if c.aliased > 0 && c.shared != nil && c.shared.Add(-1) < 0 {
		return nil, &limitError{n.Line, fmt.Sprintf("the scan's YAML aliases expand to more than %d values in total (YAML alias bombs?); this document is not scanned", MaxAliasedValues)}
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
				return nil, &limitError{k.Line, "mapping key is not a scalar"}
			}
			// A repeated key is an error, as for kubectl apply and the API
			// server; taking the last value would scan something nobody
			// can apply. (Keys merged in with "<<" may be overridden.)
			if first, dup := seen[key]; dup {
				return nil, &dupKeyError{key: key, line: k.Line, first: first}
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
