package fastyaml

import (
	"bytes"
	"strconv"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"
)

// The fast path decodes the YAML that manifests are actually written in —
// block mappings and sequences, plain and quoted one-line scalars, block
// scalars, one-line flow collections, and JSON — several times faster than
// building a yaml.Node tree and converting it, which is most of the cost of a
// large scan. It is deliberately partial: on anything else (anchors, aliases,
// tags, multi-line plain or quoted scalars, complex keys, tabs in
// indentation, duplicate keys, odd characters…) it declines, and Decode
// decodes the document with yaml.v3 instead. So it never changes a result,
// an error or a line number; FuzzDecode and TestFastAgreesWithYAMLv3 check
// exactly that against yaml.v3 on every fixture and on mutations of them.

// position is where a decoded mapping starts (its first key's line, as
// yaml.v3 reports it), recorded only along the path of List "items".
type position struct {
	line  int
	items []*position
}

// fastLine is one line of a document.
type fastLine struct {
	start, end int // byte offsets of the line, without its line break
	indent     int // leading spaces
	content    bool
}

type fastParser struct {
	src   []byte
	lines []fastLine
	li    int // current line
	depth int
	strs  *Strings
}

// decodeFast is fastDecode that also takes CRLF line breaks (files checked
// out on Windows): YAML reads CR LF as one line break, in scalars too, so the
// document without its CRs has the same values and lines. A lone CR is a
// line break of its own to yaml.v3 and is left to it.
func decodeFast(doc []byte, strs *Strings) (map[string]any, *position, bool) {
	v, pos, ok := fastDecode(doc, strs)
	if ok || bytes.IndexByte(doc, '\r') < 0 {
		return v, pos, ok
	}
	lf := make([]byte, 0, len(doc))
	for i := 0; i < len(doc); i++ {
		if doc[i] == '\r' {
			if i+1 == len(doc) || doc[i+1] != '\n' {
				return nil, nil, false
			}
			continue
		}
		lf = append(lf, doc[i])
	}
	return fastDecode(lf, strs)
}

// fastDecode decodes one document. ok is false when the document uses
// YAML the fast path does not handle, or is not a mapping at its root.
func fastDecode(doc []byte, strs *Strings) (v map[string]any, pos *position, ok bool) {
	if !fastChars(doc) {
		return nil, nil, false
	}
	p := &fastParser{src: doc, strs: strs}
	if !p.splitLines() {
		return nil, nil, false
	}
	first := p.nextContent(0)
	if first < 0 {
		return nil, nil, false
	}
	// A document marker ("---" or "..." at the start of a line) ends or
	// starts a document: only a leading "---" with nothing but a comment
	// after it is taken here (splitDocuments cuts documents at the others).
	for i := first + 1; i < len(p.lines); i++ {
		if l := p.lines[i]; l.indent == 0 && docIndicator(doc[l.start:l.end]) {
			return nil, nil, false
		}
	}
	if l := p.lines[first]; docIndicator(doc[l.start:l.end]) {
		if !isMarker(doc[l.start:l.end]) {
			return nil, nil, false
		}
		rest := bytes.TrimLeft(doc[l.start+3:l.end], " ")
		if len(rest) > 0 && rest[0] != '#' {
			return nil, nil, false
		}
		first = p.nextContent(first + 1)
		if first < 0 {
			return nil, nil, false
		}
	}
	l := p.lines[first]
	if l.indent != 0 {
		return nil, nil, false
	}
	c := doc[l.start]
	var root any
	pos = &position{}
	switch {
	case c == '{':
		p.li = first
		end, val, okFlow := p.flowValue(l.start, true, pos)
		if !okFlow {
			return nil, nil, false
		}
		root = val
		// Only whitespace and comments may follow the root.
		if !p.onlyCommentsAfter(end) {
			return nil, nil, false
		}
	case p.keyAt(first, l.start) >= 0:
		p.li = first
		m, okMap := p.mapping(first, l.start, 0, pos)
		if !okMap || p.li < len(p.lines) {
			return nil, nil, false
		}
		root = m
	default:
		return nil, nil, false
	}
	m, isMap := root.(map[string]any)
	if !isMap {
		return nil, nil, false
	}
	return m, pos, true
}

// docIndicator is yaml.v3's test for a document marker at the start of a
// line: "---" or "..." followed by a blank or the end of the line.
func docIndicator(l []byte) bool {
	if len(l) < 3 || !(bytes.HasPrefix(l, []byte("---")) || bytes.HasPrefix(l, []byte("..."))) {
		return false
	}
	return len(l) == 3 || l[3] == ' ' || l[3] == '\t'
}

// fastChars accepts documents whose characters yaml.v3 reads without
// complaint and without special line breaks: no control characters but tab
// and newline (so no CR), valid UTF-8 without BOM, C1 controls, NEL, LS, PS
// or non-characters.
func fastChars(doc []byte) bool {
	ascii := true
	for _, b := range doc {
		if b < 0x20 && b != '\n' && b != '\t' || b == 0x7f {
			return false
		}
		if b >= 0x80 {
			ascii = false
		}
	}
	if ascii {
		return true
	}
	for i := 0; i < len(doc); {
		r, size := utf8.DecodeRune(doc[i:])
		if r == utf8.RuneError && size <= 1 {
			return false
		}
		if r >= 0x80 && r <= 0x9f || r == 0x2028 || r == 0x2029 || r == 0xfeff || r == 0xfffe || r == 0xffff {
			return false
		}
		i += size
	}
	return true
}

// splitLines indexes the lines; tabs in indentation are left to yaml.v3.
func (p *fastParser) splitLines() bool {
	src := p.src
	p.lines = make([]fastLine, 0, bytes.Count(src, []byte{'\n'})+1)
	for i := 0; i <= len(src); {
		end := bytes.IndexByte(src[i:], '\n')
		if end < 0 {
			end = len(src)
		} else {
			end += i
		}
		ind := 0
		for i+ind < end && src[i+ind] == ' ' {
			ind++
		}
		content := i+ind < end && src[i+ind] != '#'
		if i+ind < end && src[i+ind] == '\t' {
			return false
		}
		p.lines = append(p.lines, fastLine{start: i, end: end, indent: ind, content: content})
		if end == len(src) {
			break
		}
		i = end + 1
	}
	return true
}

// nextContent is the first line at or after i with content, -1 at the end.
func (p *fastParser) nextContent(i int) int {
	for ; i < len(p.lines); i++ {
		if p.lines[i].content {
			return i
		}
	}
	return -1
}

func (p *fastParser) col(li, off int) int { return off - p.lines[li].start }

// restBlank is true when only spaces and a comment follow off on its line.
func (p *fastParser) restBlank(li, off int) bool {
	end := p.lines[li].end
	for off < end && p.src[off] == ' ' {
		off++
	}
	return off == end || p.src[off] == '#' && (off == p.lines[li].start || p.src[off-1] == ' ')
}

func (p *fastParser) onlyCommentsAfter(off int) bool {
	// off is inside some line; find it.
	for li := p.li; li < len(p.lines); li++ {
		l := p.lines[li]
		if off > l.end {
			continue
		}
		if off < l.start {
			off = l.start
		}
		if !p.restBlank(li, off) {
			return false
		}
		off = l.end + 1
	}
	return true
}

// maxKeySpan keeps keys well inside libyaml's limit on simple keys (1024
// characters from the key's start to its colon).
const maxKeySpan = 1000

// keyAt returns the offset of the ':' ending a block mapping key that starts
// at off on line li, or -1 when the line holds no simple key there.
func (p *fastParser) keyAt(li, off int) int {
	colon := p.keyColon(li, off)
	if colon-off > maxKeySpan {
		return -1
	}
	return colon
}

func (p *fastParser) keyColon(li, off int) int {
	src, end := p.src, p.lines[li].end
	if off >= end {
		return -1
	}
	switch c := src[off]; c {
	case '"', '\'':
		q, _, ok := p.quoted(off, end)
		if !ok {
			return -1
		}
		for q < end && src[q] == ' ' {
			q++
		}
		if q < end && src[q] == ':' && (q+1 == end || src[q+1] == ' ') {
			return q
		}
		return -1
	case '-':
		if off+1 == end || src[off+1] == ' ' {
			return -1
		}
	case '?', ':', ',', '[', ']', '{', '}', '#', '&', '*', '!', '|', '>', '%', '@', '`':
		return -1
	}
	for i := off; i < end; i++ {
		switch src[i] {
		case ':':
			if i+1 == end || src[i+1] == ' ' {
				return i
			}
		case '#':
			if src[i-1] == ' ' {
				return -1
			}
		case '\t':
			return -1
		}
	}
	return -1
}

// keyText returns the key between off and the colon.
func (p *fastParser) keyText(off, colon int) (string, bool) {
	src := p.src
	if c := src[off]; c == '"' || c == '\'' {
		_, s, ok := p.quoted(off, colon)
		return s, ok
	}
	k := bytes.TrimRight(src[off:colon], " ")
	if bytes.Equal(k, []byte("<<")) {
		return "", false // libyaml's simple-key limit; merge keys
	}
	return p.strs.get(k), true
}

// mapping decodes a block mapping whose keys are at column indent; the
// first key starts at off on line li. pos, when not nil, receives the line
// and, for an "items" key, the positions of its elements.
func (p *fastParser) mapping(li, off, indent int, pos *position) (map[string]any, bool) {
	if p.depth++; p.depth > maxDepth {
		return nil, false
	}
	defer func() { p.depth-- }()
	if pos != nil {
		pos.line = li + 1
	}
	m := make(map[string]any, 8)
	for {
		colon := p.keyAt(li, off)
		if colon < 0 {
			return nil, false
		}
		key, ok := p.keyText(off, colon)
		if !ok {
			return nil, false
		}
		if _, dup := m[key]; dup {
			return nil, false
		}
		var itemPos *position
		if pos != nil && key == "items" {
			itemPos = &position{}
		}
		v, ok := p.value(li, colon+1, indent, true, itemPos)
		if !ok {
			return nil, false
		}
		m[key] = v
		if itemPos != nil {
			pos.items = itemPos.items
		}
		next := p.nextContent(p.li)
		if next < 0 {
			p.li = len(p.lines)
			return m, true
		}
		l := p.lines[next]
		if l.indent < indent {
			p.li = next
			return m, true
		}
		if l.indent > indent {
			return nil, false
		}
		li, off = next, l.start+l.indent
		p.li = next
	}
}

// sequence decodes a block sequence whose dashes are at column indent.
func (p *fastParser) sequence(li, indent int, pos *position) ([]any, bool) {
	if p.depth++; p.depth > maxDepth {
		return nil, false
	}
	defer func() { p.depth-- }()
	s := make([]any, 0, 4)
	for {
		l := p.lines[li]
		dash := l.start + indent
		var itemPos *position
		if pos != nil {
			itemPos = &position{}
		}
		v, ok := p.value(li, dash+1, indent, false, itemPos)
		if !ok {
			return nil, false
		}
		s = append(s, v)
		if pos != nil {
			pos.items = append(pos.items, itemPos)
		}
		next := p.nextContent(p.li)
		if next < 0 {
			p.li = len(p.lines)
			return s, true
		}
		nl := p.lines[next]
		if nl.indent > indent {
			return nil, false
		}
		if nl.indent < indent || !p.isDash(next) {
			p.li = next
			return s, true
		}
		li = next
		p.li = next
	}
}

func (p *fastParser) isDash(li int) bool {
	l := p.lines[li]
	o := l.start + l.indent
	return p.src[o] == '-' && (o+1 == l.end || p.src[o+1] == ' ')
}

// value decodes what follows a key's colon or a sequence dash at off on line
// li. indent is the column of the key or dash; inMap tells which. On return
// p.li is the line after the value.
func (p *fastParser) value(li, off, indent int, inMap bool, pos *position) (any, bool) {
	src, end := p.src, p.lines[li].end
	for off < end && src[off] == ' ' {
		off++
	}
	if off == end || src[off] == '#' {
		// The value is on the following lines (or empty).
		next := p.nextContent(li + 1)
		if next < 0 {
			p.li = len(p.lines)
			return nil, true
		}
		l := p.lines[next]
		switch {
		case l.indent > indent:
			return p.block(next, indent, pos)
		case l.indent == indent && inMap && p.isDash(next):
			// A sequence may sit at its key's own indentation.
			return p.sequence(next, indent, pos)
		}
		p.li = next
		return nil, true
	}
	switch c := src[off]; c {
	case '|', '>':
		return p.blockScalar(li, off, indent)
	case '{', '[':
		p.li = li
		e, v, ok := p.flowValue(off, false, pos)
		if !ok || !p.restBlank(li, e) {
			return nil, false
		}
		return v, p.afterScalar(li, indent)
	case '-':
		if off+1 == end || src[off+1] == ' ' {
			return nil, false // "- - x" or "key: - x"
		}
	}
	if !inMap {
		// A mapping that starts on the dash's line ("- name: x").
		if colon := p.keyAt(li, off); colon >= 0 {
			col := p.col(li, off)
			return p.mapping(li, off, col, pos)
		}
	}
	v, e, ok := p.inlineScalar(li, off)
	if !ok || !p.restBlank(li, e) {
		return nil, false
	}
	return v, p.afterScalar(li, indent)
}

// block decodes a node that starts at the beginning of line li, deeper than
// parent.
func (p *fastParser) block(li, parent int, pos *position) (any, bool) {
	l := p.lines[li]
	off := l.start + l.indent
	if p.isDash(li) {
		return p.sequence(li, l.indent, pos)
	}
	if p.keyAt(li, off) >= 0 {
		return p.mapping(li, off, l.indent, pos)
	}
	switch p.src[off] {
	case '{', '[':
		p.li = li
		e, v, ok := p.flowValue(off, false, pos)
		if !ok || !p.restBlank(li, e) {
			return nil, false
		}
		return v, p.afterScalar(li, parent)
	case '|', '>':
		return nil, false
	}
	v, e, ok := p.inlineScalar(li, off)
	if !ok || !p.restBlank(li, e) {
		return nil, false
	}
	return v, p.afterScalar(li, parent)
}

// afterScalar moves past a one-line value on line li. A following line
// deeper than parent would continue it (a multi-line scalar) or be an
// error: both are left to yaml.v3.
func (p *fastParser) afterScalar(li, parent int) bool {
	next := p.nextContent(li + 1)
	if next < 0 {
		p.li = len(p.lines)
		return true
	}
	if p.lines[next].indent > parent {
		return false
	}
	p.li = next
	return true
}

// inlineScalar reads a plain or quoted scalar that ends on line li.
func (p *fastParser) inlineScalar(li, off int) (any, int, bool) {
	src, end := p.src, p.lines[li].end
	switch c := src[off]; c {
	case '"', '\'':
		e, s, ok := p.quoted(off, end)
		return s, e, ok
	case '?', ':', ',', '[', ']', '{', '}', '#', '&', '*', '!', '|', '>', '%', '@', '`':
		return nil, 0, false
	}
	stop := end
	for i := off; i < end; i++ {
		switch src[i] {
		case ':':
			if i+1 == end || src[i+1] == ' ' {
				return nil, 0, false
			}
		case '#':
			if src[i-1] == ' ' {
				stop = i
				i = end
			}
		case '\t':
			return nil, 0, false
		}
	}
	text := bytes.TrimRight(src[off:stop], " ")
	v, ok := p.plain(text)
	return v, stop, ok
}

// plain resolves a plain scalar exactly as the yaml.v3 path does.
func (p *fastParser) plain(b []byte) (any, bool) {
	if len(b) == 0 {
		return nil, false
	}
	switch c := b[0]; {
	case c >= '0' && c <= '9', c == '-', c == '+', c == '.':
		if v, ok := decimal(b); ok {
			return v, true
		}
		if !maybeNumber(b) {
			return p.strs.get(b), true
		}
		return scalar(&yaml.Node{Kind: yaml.ScalarNode, Value: string(b)}), true
	case c == '<':
		if bytes.Equal(b, []byte("<<")) {
			return nil, false
		}
	case c == 'y', c == 'Y', c == 'n', c == 'N', c == 't', c == 'T', c == 'f', c == 'F', c == 'o', c == 'O', c == '~':
		switch string(b) {
		case "true", "True", "TRUE":
			return true, true
		case "false", "False", "FALSE":
			return false, true
		case "~", "null", "Null", "NULL":
			return nil, true
		}
	}
	return p.strs.get(b), true
}

// decimal parses the common case of a plain decimal integer.
func decimal(b []byte) (int64, bool) {
	s := b
	if s[0] == '-' {
		s = s[1:]
	}
	if len(s) == 0 || len(s) > 18 || (s[0] == '0' && len(s) > 1) {
		return 0, false
	}
	var n int64
	for _, c := range s {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	if b[0] == '-' {
		n = -n
	}
	return n, true
}

// maybeNumber is false for scalars that yaml.v3 certainly resolves to a
// string although they start like a number ("100m", "128Mi", "1.2.3-rc"):
// they hold a character no int, float or timestamp has.
func maybeNumber(b []byte) bool {
	if len(b) > 4 && b[4] == '-' {
		return true // maybe a timestamp
	}
	dots := 0
	for _, c := range b {
		switch {
		case c >= '0' && c <= '9', c >= 'a' && c <= 'f', c >= 'A' && c <= 'F':
		case c == '+', c == '-', c == '_', c == 'x', c == 'X', c == 'o', c == 'O':
		case c == '.':
			dots++
		case c == 'i', c == 'I', c == 'n', c == 'N': // .inf, .nan
		default:
			return false
		}
	}
	return dots <= 1
}

// quoted reads a one-line quoted scalar starting at off, before limit (it
// stops at a line break in any case); it returns the offset after the
// closing quote.
func (p *fastParser) quoted(off, limit int) (int, string, bool) {
	src := p.src
	q := src[off]
	i := off + 1
	// Fast path: no escapes.
	for j := i; j < limit; j++ {
		c := src[j]
		if c == q {
			if q == '\'' && j+1 < limit && src[j+1] == '\'' {
				break // '' escape
			}
			return j + 1, p.strs.get(src[i:j]), true
		}
		if c == '\\' && q == '"' || c == '\n' {
			break
		}
	}
	var buf []byte
	for ; i < limit; i++ {
		c := src[i]
		switch {
		case c == '\n':
			return 0, "", false
		case c == q && q == '\'':
			if i+1 < limit && src[i+1] == '\'' {
				buf = append(buf, '\'')
				i++
				continue
			}
			return i + 1, string(buf), true
		case c == q:
			return i + 1, string(buf), true
		case c == '\\' && q == '"':
			if i+1 >= limit {
				return 0, "", false
			}
			i++
			switch e := src[i]; e {
			case '\\', '"': // not '/': yaml.v3 rejects the JSON escape \/
				buf = append(buf, e)
			case 'n':
				buf = append(buf, '\n')
			case 't':
				buf = append(buf, '\t')
			case 'r':
				buf = append(buf, '\r')
			case 'b':
				buf = append(buf, '\b')
			case 'f':
				buf = append(buf, '\f')
			case '0':
				buf = append(buf, 0)
			case 'a':
				buf = append(buf, '\a')
			case 'v':
				buf = append(buf, '\v')
			case 'e':
				buf = append(buf, 0x1b)
			case 'u', 'x', 'U':
				n := map[byte]int{'x': 2, 'u': 4, 'U': 8}[e]
				if i+n >= limit {
					return 0, "", false
				}
				r, err := strconv.ParseUint(string(src[i+1:i+1+n]), 16, 32)
				if err != nil || r >= 0xd800 && r <= 0xdfff || r > utf8.MaxRune {
					return 0, "", false
				}
				buf = utf8.AppendRune(buf, rune(r))
				i += n
			default:
				return 0, "", false
			}
		default:
			buf = append(buf, c)
		}
	}
	return 0, "", false
}

// blockScalar decodes a literal (|) or folded (>) scalar whose indicator is
// at off on line li; parent is the column of its key or dash.
func (p *fastParser) blockScalar(li, off, parent int) (any, bool) {
	src, end := p.src, p.lines[li].end
	folded := src[off] == '>'
	chomp := byte(0)
	i := off + 1
	if i < end && (src[i] == '-' || src[i] == '+') {
		chomp = src[i]
		i++
	}
	if i < end && src[i] != ' ' {
		return nil, false // explicit indentation indicators and odd headers
	}
	if !p.restBlank(li, i) {
		return nil, false
	}
	// The content lines: every following line that is empty (spaces only)
	// or indented deeper than the detected content indentation.
	indent := -1
	last := li // last line that belongs to the scalar
	maxBlank := 0
	for j := li + 1; j < len(p.lines); j++ {
		l := p.lines[j]
		blank := l.indent == l.end-l.start
		if blank {
			maxBlank = max(maxBlank, l.indent)
			last = j
			continue
		}
		if indent < 0 {
			if l.indent <= parent {
				break
			}
			indent = l.indent
			if maxBlank > indent {
				return nil, false // libyaml rejects leading blank lines deeper than the text
			}
		}
		if l.indent < indent {
			break
		}
		last = j
	}
	if indent < 0 {
		// No text at all: only the chomping of empty lines matters.
		return nil, false
	}
	// Trailing blank lines count only for keep chomping; anything after the
	// last text line must be checked for continuation like any value.
	lastText := last
	for lastText > li && p.lines[lastText].indent == p.lines[lastText].end-p.lines[lastText].start {
		lastText--
	}
	var buf []byte
	for j := li + 1; j <= lastText; j++ {
		l := p.lines[j]
		n := l.end - l.start
		if l.indent == n {
			if n > indent || folded {
				return nil, false // spaces-only lines with content, folded empty lines: yaml.v3 decides
			}
		}
		var text []byte
		if n > indent {
			text = src[l.start+indent : l.end]
		}
		if folded && len(text) > 0 && text[0] == ' ' {
			return nil, false // more-indented folded lines keep their breaks
		}
		if j > li+1 {
			if folded {
				buf = append(buf, ' ')
			} else {
				buf = append(buf, '\n')
			}
		}
		buf = append(buf, text...)
	}
	trailing := 1
	for j := lastText + 1; j <= last; j++ {
		if p.lines[j].end-p.lines[j].start > indent {
			return nil, false // trailing whitespace-only lines with content spaces
		}
		trailing++
	}
	switch chomp {
	case '-':
	case '+':
		// Keep chomping includes a final line break only when the source
		// has one; leave the edge cases to yaml.v3.
		if last == len(p.lines)-1 {
			return nil, false
		}
		for k := 0; k < trailing; k++ {
			buf = append(buf, '\n')
		}
	default:
		if last == len(p.lines)-1 && p.lines[last].end == len(src) && lastText == last {
			// The text ends the document without a line break: clip adds none.
			return nil, false
		}
		buf = append(buf, '\n')
	}
	next := p.nextContent(last + 1)
	if next < 0 {
		p.li = len(p.lines)
	} else {
		if p.lines[next].indent > parent {
			return nil, false
		}
		p.li = next
	}
	return string(buf), true
}

// flowValue decodes a flow collection or scalar starting at off. multiline
// allows line breaks inside it (the root of a JSON document); in block
// context flow collections must stay on one line here. pos, when not nil,
// receives the line of a mapping and the positions of its "items".
func (p *fastParser) flowValue(off int, multiline bool, pos *position) (int, any, bool) {
	src := p.src
	off, ok := p.flowSpace(off, multiline)
	if !ok || off >= len(src) {
		return 0, nil, false
	}
	if p.depth++; p.depth > maxDepth {
		return 0, nil, false
	}
	defer func() { p.depth-- }()
	switch src[off] {
	case '{':
		if pos != nil {
			pos.line = p.lineOf(off)
		}
		m := make(map[string]any, 4)
		off++
		for {
			if off, ok = p.flowSpace(off, multiline); !ok || off >= len(src) {
				return 0, nil, false
			}
			if src[off] == '}' {
				return off + 1, m, true
			}
			var key string
			keyStart := off
			quotedKey := src[off] == '"' || src[off] == '\''
			if quotedKey {
				e, s, ok := p.quoted(off, len(p.src))
				if !ok {
					return 0, nil, false
				}
				off, key = e, s
			} else {
				e, k, ok := p.flowPlain(off)
				if !ok {
					return 0, nil, false
				}
				ks, isStr := k.(string)
				if !isStr || string(src[off:e]) != ks || ks == "<<" {
					return 0, nil, false // keys are their text; resolved ones are left to yaml.v3
				}
				off, key = e, ks
			}
			// A simple key and its colon share one line.
			if off, ok = p.flowSpace(off, false); !ok || off >= len(src) || src[off] != ':' || off-keyStart > maxKeySpan {
				return 0, nil, false
			}
			off++
			// A value may touch the colon only after a quoted (JSON-like) key.
			if off < len(src) && src[off] != ' ' && src[off] != '\n' && !quotedKey {
				return 0, nil, false
			}
			var itemPos *position
			if pos != nil && key == "items" {
				itemPos = &position{}
			}
			e, v, ok := p.flowValue(off, multiline, itemPos)
			if !ok {
				return 0, nil, false
			}
			if _, dup := m[key]; dup {
				return 0, nil, false
			}
			m[key] = v
			if itemPos != nil {
				pos.items = itemPos.items
			}
			var end bool
			if off, end, ok = p.flowNext(e, multiline, '}'); !ok || end {
				return off, m, ok
			}
		}
	case '[':
		s := make([]any, 0, 4)
		off++
		for {
			if off, ok = p.flowSpace(off, multiline); !ok || off >= len(src) {
				return 0, nil, false
			}
			if src[off] == ']' {
				return off + 1, s, true
			}
			var itemPos *position
			if pos != nil {
				itemPos = &position{}
			}
			e, v, ok := p.flowValue(off, multiline, itemPos)
			if !ok {
				return 0, nil, false
			}
			s = append(s, v)
			if pos != nil {
				pos.items = append(pos.items, itemPos)
			}
			// Not ok on "[a: b]" single-pair mappings: left to yaml.v3.
			var end bool
			if off, end, ok = p.flowNext(e, multiline, ']'); !ok || end {
				return off, s, ok
			}
		}
	case '"', '\'':
		e, s, ok := p.quoted(off, len(p.src))
		if !ok {
			return 0, nil, false
		}
		return e, s, true
	}
	e, v, ok := p.flowPlain(off)
	return e, v, ok
}

// flowNext reads what follows an entry of a flow collection: a comma, after
// which next is where the following entry starts, or the closing bracket
// (end), after which next is past it.
func (p *fastParser) flowNext(off int, multiline bool, closing byte) (next int, end, ok bool) {
	off, ok = p.flowSpace(off, multiline)
	if !ok || off >= len(p.src) {
		return 0, false, false
	}
	switch p.src[off] {
	case ',':
		return off + 1, false, true
	case closing:
		return off + 1, true, true
	}
	return 0, false, false
}

// lineOf is the 1-based line of a byte offset.
func (p *fastParser) lineOf(off int) int {
	lo, hi := 0, len(p.lines)-1
	for lo < hi {
		mid := (lo + hi + 1) / 2
		if p.lines[mid].start <= off {
			lo = mid
		} else {
			hi = mid - 1
		}
	}
	return lo + 1
}

// flowPlain reads a plain scalar inside a flow collection; it must end on
// its line.
func (p *fastParser) flowPlain(off int) (int, any, bool) {
	src := p.src
	switch c := src[off]; c {
	case '-':
		if off+1 >= len(src) || src[off+1] == ' ' || src[off+1] == '\n' {
			return 0, nil, false
		}
	case '?', ':', ',', '[', ']', '{', '}', '#', '&', '*', '!', '|', '>', '%', '@', '`', '"', '\'':
		return 0, nil, false
	}
	i := off
loop:
	for ; i < len(src); i++ {
		// The same stops as yaml.v3's scanner in flow context.
		switch src[i] {
		case ',', '?', '[', ']', '{', '}', '\n':
			break loop
		case ':':
			if i+1 == len(src) || src[i+1] == ' ' || src[i+1] == '\n' {
				break loop
			}
		case '#':
			if src[i-1] == ' ' {
				return 0, nil, false
			}
		case '\t':
			return 0, nil, false
		}
	}
	text := bytes.TrimRight(src[off:i], " ")
	end := off + len(text)
	// A plain scalar continued on the next line is folded: left to yaml.v3.
	if i < len(src) && src[i] == '\n' {
		j := i
		for j < len(src) && (src[j] == ' ' || src[j] == '\n') {
			j++
		}
		if j < len(src) {
			switch src[j] {
			case ',', ']', '}', '#':
			default:
				return 0, nil, false
			}
		}
	}
	v, ok := p.plain(text)
	return end, v, ok
}

// flowSpace skips spaces (and, when multiline, line breaks and comments).
func (p *fastParser) flowSpace(off int, multiline bool) (int, bool) {
	src := p.src
	for off < len(src) {
		switch src[off] {
		case ' ':
			off++
		case '\n':
			if !multiline {
				return 0, false
			}
			off++
		case '#':
			if !multiline || off > 0 && src[off-1] != ' ' && src[off-1] != '\n' {
				return 0, false
			}
			for off < len(src) && src[off] != '\n' {
				off++
			}
		case '\t':
			return 0, false
		default:
			return off, true
		}
	}
	return off, true
}

// Strings shares one copy of each short string (keys such as "name",
// "image" and common values): a large scan holds millions of them.
// The zero value is ready; one Strings serves one goroutine.
type Strings struct {
	m map[string]string
}

const maxCachedString = 48

func (c *Strings) get(b []byte) string {
	if c == nil || len(b) > maxCachedString {
		return string(b)
	}
	if s, ok := c.m[string(b)]; ok {
		return s
	}
	if c.m == nil {
		c.m = make(map[string]string, 1024)
	}
	s := string(b)
	c.m[s] = s
	return s
}
