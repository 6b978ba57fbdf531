// Package termsafe makes untrusted text (resource names, messages from
// Helm, Kustomize or a YAML parser, values of a scanned repository) safe to
// print in a terminal or a CI log: control characters are escaped, so no
// text can start a new line, move the cursor, change colours or start a
// GitHub workflow command ("::error file=…::", "::add-mask::"…), and a value
// that itself begins with "::" is neutralised.
package termsafe

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// String escapes s for one line of text output: C0 and C1 control
// characters (newlines, ESC, CSI…), DEL, Unicode line and paragraph
// separators and bidirectional overrides become \n, \x1b, \u2028 …; a
// leading "::" becomes ":\:" so it is never a workflow command.
func String(s string) string {
	if clean(s) {
		return s
	}
	var b strings.Builder
	for i, r := range s {
		if r == utf8.RuneError {
			if _, size := utf8.DecodeRuneInString(s[i:]); size == 1 {
				fmt.Fprintf(&b, `\x%02x`, s[i])
				continue
			}
		}
		switch {
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&b, `\x%02x`, r)
		case unsafeRune(r):
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteRune(r)
		}
	}
	out := b.String()
	if strings.HasPrefix(out, "::") {
		out = `:\:` + out[2:]
	}
	return out
}

// Lines escapes each line of s (keeping its newlines) for multi-line text.
func Lines(s string) string {
	parts := strings.SplitAfter(s, "\n")
	for i, p := range parts {
		nl := strings.HasSuffix(p, "\n")
		p = String(strings.TrimSuffix(p, "\n"))
		if nl {
			p += "\n"
		}
		parts[i] = p
	}
	return strings.Join(parts, "")
}

func clean(s string) bool {
	if strings.HasPrefix(s, "::") {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 || c == 0x7f || c >= 0x80 {
			if c < 0x80 {
				return false
			}
			// Non-ASCII: decide rune by rune.
			for _, r := range s[i:] {
				if r == utf8.RuneError || r < 0x20 || r == 0x7f || unsafeRune(r) {
					return false
				}
			}
			return true
		}
	}
	return true
}

// unsafeRune: C1 controls, line/paragraph separators, bidi controls.
func unsafeRune(r rune) bool {
	switch {
	case r >= 0x80 && r <= 0x9f:
		return true
	case r == 0x2028 || r == 0x2029:
		return true
	case r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069, r == 0x200e, r == 0x200f:
		return true
	}
	return unicode.Is(unicode.Cc, r)
}
