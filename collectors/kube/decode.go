package kube

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// A list page is decoded by hand rather than by encoding/json: the result
// is exactly what json.Unmarshal gives for
//
//	struct {
//		Metadata struct{ Continue string `json:"continue"` } `json:"metadata"`
//		Items    []map[string]any                             `json:"items"`
//	}
//
// (numbers as float64, the last of duplicate keys, the same errors for
// malformed JSON; FuzzDecodeList holds it to that), in one pass without
// reflection, and with the strings that repeat from object to object —
// every key, labels, images, namespaces — shared instead of allocated
// anew: half the allocations, and less for the scan to hold.

// listContinue reads only the continue token of a page, without decoding
// its items: the next page is requested while this one is decoded.
func listContinue(data []byte) (string, error) {
	// The API server writes the list's metadata before its items; were it
	// after them, the items are skipped over (and checked).
	d := &listDecoder{data: data}
	cont := ""
	err := d.object(func(key string) error {
		if !strings.EqualFold(key, "metadata") {
			return d.skip()
		}
		c, err := d.listMeta()
		if err != nil {
			return err
		}
		cont = c
		return errStop
	})
	if errors.Is(err, errStop) {
		// A repeated metadata (encoding/json merges the two) is found by
		// decodeList; this is the token of a well-formed page.
		return cont, nil
	}
	if err != nil {
		return "", err
	}
	return cont, d.end()
}

var errStop = errors.New("stop")

// stdList is what decodeList decodes, for encoding/json.
type stdList struct {
	Metadata struct {
		Continue string `json:"continue"`
	} `json:"metadata"`
	Items []map[string]any `json:"items"`
}

// decodeListStd is encoding/json's decoding, for the odd page that repeats
// a key of the list itself (encoding/json then merges the two).
func decodeListStd(data []byte) (stdList, error) {
	var l stdList
	err := json.Unmarshal(data, &l)
	return l, err
}

var errDuplicate = errors.New("duplicate list key")

// decodeList decodes a whole page. strs, shared by the pages of one type,
// holds the strings already seen. With dropManaged, each item's
// metadata.managedFields — a third of an object's bytes, which Normalize
// removes anyway — is checked but not built.
func decodeList(data []byte, strs map[string]string, dropManaged bool) (cont string, items []map[string]any, err error) {
	d := &listDecoder{data: data, strs: strs}
	var seenMeta, seenItems bool
	err = d.object(func(key string) error {
		switch {
		case strings.EqualFold(key, "metadata"):
			if seenMeta {
				return errDuplicate
			}
			seenMeta = true
			c, err := d.listMeta()
			cont = c
			return err
		case strings.EqualFold(key, "items"):
			if seenItems {
				return errDuplicate
			}
			seenItems = true
			if d.literal("null") {
				items = nil
				return nil
			}
			items = []map[string]any{}
			return d.array(func() error {
				if d.literal("null") {
					items = append(items, nil)
					return nil
				}
				if d.peek() != '{' {
					return d.typeError("items element", "map[string]interface {}")
				}
				role := roleNone
				if dropManaged {
					role = roleItem
				}
				v, err := d.parse(true, role)
				if err != nil {
					return err
				}
				items = append(items, v.(map[string]any))
				return nil
			})
		}
		return d.skip()
	})
	if errors.Is(err, errDuplicate) {
		l, err := decodeListStd(data)
		return l.Metadata.Continue, l.Items, err
	}
	if err != nil {
		return "", nil, err
	}
	return cont, items, d.end()
}

type listDecoder struct {
	data  []byte
	pos   int
	depth int
	strs  map[string]string
}

// The role of an object being parsed: an item whose metadata.managedFields
// is dropped, that metadata, or any other.
const (
	roleNone = iota
	roleItem
	roleItemMeta
)

// maxDepth is encoding/json's limit of nested objects and arrays.
const maxDepth = 10000

var errSyntax = errors.New("invalid JSON")

func (d *listDecoder) fail() error {
	// Rare: let encoding/json say what is wrong, in its words.
	var v any
	if err := json.Unmarshal(d.data, &v); err != nil {
		return err
	}
	return fmt.Errorf("%w at offset %d", errSyntax, d.pos)
}

func (d *listDecoder) typeError(what, want string) error {
	return fmt.Errorf("json: cannot unmarshal %s at offset %d into Go value of type %s", what, d.pos, want)
}

func (d *listDecoder) ws() {
	for d.pos < len(d.data) {
		switch d.data[d.pos] {
		case ' ', '\t', '\n', '\r':
			d.pos++
		default:
			return
		}
	}
}

func (d *listDecoder) peek() byte {
	d.ws()
	if d.pos < len(d.data) {
		return d.data[d.pos]
	}
	return 0
}

func (d *listDecoder) end() error {
	if d.peek() != 0 || d.pos != len(d.data) {
		return d.fail()
	}
	return nil
}

// literal consumes lit (true, false, null) when it comes next.
func (d *listDecoder) literal(lit string) bool {
	d.ws()
	if strings.HasPrefix(string(d.data[d.pos:min(d.pos+len(lit), len(d.data))]), lit) {
		d.pos += len(lit)
		return true
	}
	return false
}

// object calls member for each key, with the decoder at its value.
func (d *listDecoder) object(member func(key string) error) error {
	if d.peek() != '{' {
		if d.literal("null") {
			return nil
		}
		return d.fail()
	}
	if d.depth++; d.depth > maxDepth {
		return d.fail()
	}
	defer func() { d.depth-- }()
	d.pos++
	if d.peek() == '}' {
		d.pos++
		return nil
	}
	for {
		if d.peek() != '"' {
			return d.fail()
		}
		key, err := d.str()
		if err != nil {
			return err
		}
		if d.peek() != ':' {
			return d.fail()
		}
		d.pos++
		if err := member(key); err != nil {
			return err
		}
		switch d.peek() {
		case ',':
			d.pos++
		case '}':
			d.pos++
			return nil
		default:
			return d.fail()
		}
	}
}

// array calls elem for each element, with the decoder at it.
func (d *listDecoder) array(elem func() error) error {
	if d.peek() != '[' {
		return d.typeError("value", "[]map[string]interface {}")
	}
	if d.depth++; d.depth > maxDepth {
		return d.fail()
	}
	defer func() { d.depth-- }()
	d.pos++
	if d.peek() == ']' {
		d.pos++
		return nil
	}
	for {
		if err := elem(); err != nil {
			return err
		}
		switch d.peek() {
		case ',':
			d.pos++
		case ']':
			d.pos++
			return nil
		default:
			return d.fail()
		}
	}
}

// listMeta reads the list's metadata for its continue token.
func (d *listDecoder) listMeta() (string, error) {
	cont := ""
	err := d.object(func(key string) error {
		if !strings.EqualFold(key, "continue") {
			return d.skip()
		}
		if d.literal("null") {
			return nil
		}
		if d.peek() != '"' {
			return d.typeError("continue", "string")
		}
		s, err := d.str()
		cont = s
		return err
	})
	return cont, err
}

// skip passes over one value, checking its syntax.
func (d *listDecoder) skip() error {
	_, err := d.parse(false, roleNone)
	return err
}

// parse reads one value; with keep, it returns it as encoding/json would
// decode it into an any (but for what role drops).
func (d *listDecoder) parse(keep bool, role int) (any, error) {
	switch c := d.peek(); {
	case c == '{':
		if d.depth++; d.depth > maxDepth {
			return nil, d.fail()
		}
		defer func() { d.depth-- }()
		d.pos++
		var m map[string]any
		if keep {
			m = map[string]any{}
		}
		if d.peek() == '}' {
			d.pos++
			return m, nil
		}
		for {
			if d.peek() != '"' {
				return nil, d.fail()
			}
			key, err := d.str()
			if err != nil {
				return nil, err
			}
			if d.peek() != ':' {
				return nil, d.fail()
			}
			d.pos++
			k, r := keep, roleNone
			switch {
			case role == roleItem && key == "metadata":
				r = roleItemMeta
			case role == roleItemMeta && key == "managedFields":
				k = false
			}
			v, err := d.parse(k, r)
			if err != nil {
				return nil, err
			}
			if k {
				m[key] = v
			}
			switch d.peek() {
			case ',':
				d.pos++
			case '}':
				d.pos++
				if !keep {
					return nil, nil
				}
				return m, nil
			default:
				return nil, d.fail()
			}
		}
	case c == '[':
		var a []any
		if keep {
			a = []any{}
		}
		if d.depth++; d.depth > maxDepth {
			return nil, d.fail()
		}
		defer func() { d.depth-- }()
		d.pos++
		if d.peek() == ']' {
			d.pos++
			return a, nil
		}
		for {
			v, err := d.parse(keep, roleNone)
			if err != nil {
				return nil, err
			}
			if keep {
				a = append(a, v)
			}
			switch d.peek() {
			case ',':
				d.pos++
			case ']':
				d.pos++
				return a, nil
			default:
				return nil, d.fail()
			}
		}
	case c == '"':
		s, err := d.str()
		if err != nil || !keep {
			return nil, err
		}
		return s, nil
	case c == '-' || c >= '0' && c <= '9':
		return d.number(keep)
	case d.literal("true"):
		return true, nil
	case d.literal("false"):
		return false, nil
	case d.literal("null"):
		return nil, nil
	}
	return nil, d.fail()
}

// number reads a number as encoding/json does: its grammar checked, then
// strconv.ParseFloat when kept (an out-of-range number is an error, as
// there).
func (d *listDecoder) number(keep bool) (any, error) {
	start := d.pos
	b := d.data
	i := d.pos
	if i < len(b) && b[i] == '-' {
		i++
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case i < len(b) && b[i] >= '1' && b[i] <= '9':
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
	default:
		d.pos = i
		return nil, d.fail()
	}
	if i < len(b) && b[i] == '.' {
		i++
		if i >= len(b) || b[i] < '0' || b[i] > '9' {
			d.pos = i
			return nil, d.fail()
		}
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		if i >= len(b) || b[i] < '0' || b[i] > '9' {
			d.pos = i
			return nil, d.fail()
		}
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
	}
	d.pos = i
	if !keep {
		return nil, nil // encoding/json does not convert what it skips
	}
	f, err := strconv.ParseFloat(string(b[start:i]), 64)
	if err != nil {
		return nil, fmt.Errorf("json: cannot unmarshal number %s into Go value of type float64", b[start:i])
	}
	return f, nil
}

// internMax is the longest string shared: longer ones (uids, tokens,
// certificates) rarely repeat.
const internMax = 40

// str reads a string. Printable ASCII, with the one-letter escapes
// (escStr), is read here and shared; a \u escape, a control or non-ASCII
// byte sends the string to encoding/json itself, so that both agree on
// every byte (invalid UTF-8, lone surrogates).
func (d *listDecoder) str() (string, error) {
	b := d.data
	start := d.pos + 1
	i := start
	for i < len(b) {
		c := b[i]
		if c == '"' {
			d.pos = i + 1
			return d.intern(b[start:i]), nil
		}
		if c == '\\' {
			return d.escStr(start, i)
		}
		if c < 0x20 || c >= 0x80 {
			return d.slowStr()
		}
		i++
	}
	d.pos = len(b)
	return "", d.fail()
}

// escStr reads a string of printable ASCII with escapes other than \u
// (managedFields' keys are full of \"); anything else goes to slowStr.
func (d *listDecoder) escStr(start, i int) (string, error) {
	b := d.data
	buf := make([]byte, 0, i-start+32)
	buf = append(buf, b[start:i]...)
	for i < len(b) {
		c := b[i]
		switch {
		case c == '"':
			d.pos = i + 1
			return d.intern(buf), nil
		case c == '\\' && i+1 < len(b):
			switch e := b[i+1]; e {
			case '"', '\\', '/':
				buf = append(buf, e)
			case 'b':
				buf = append(buf, '\b')
			case 'f':
				buf = append(buf, '\f')
			case 'n':
				buf = append(buf, '\n')
			case 'r':
				buf = append(buf, '\r')
			case 't':
				buf = append(buf, '\t')
			default:
				return d.slowStr()
			}
			i += 2
		case c < 0x20 || c >= 0x80 || c == '\\':
			return d.slowStr()
		default:
			buf = append(buf, c)
			i++
		}
	}
	d.pos = len(b)
	return "", d.fail()
}

func (d *listDecoder) slowStr() (string, error) {
	b := d.data
	i := d.pos + 1
	for i < len(b) {
		switch b[i] {
		case '\\':
			i += 2
			continue
		case '"':
			var s string
			if err := json.Unmarshal(b[d.pos:i+1], &s); err != nil {
				return "", d.fail()
			}
			d.pos = i + 1
			return s, nil
		}
		i++
	}
	d.pos = len(b)
	return "", d.fail()
}

func (d *listDecoder) intern(b []byte) string {
	if d.strs == nil || len(b) > internMax {
		return string(b)
	}
	if s, ok := d.strs[string(b)]; ok {
		return s
	}
	s := string(b)
	d.strs[s] = s
	return s
}
