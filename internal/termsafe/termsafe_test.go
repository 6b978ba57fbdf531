package termsafe

import (
	"strings"
	"testing"
)

func TestString(t *testing.T) {
	tests := []struct{ in, want string }{
		{"web", "web"},
		{"naïve", "naïve"},
		{"a\n::error file=x::pwned", `a\n::error file=x::pwned`},
		{"::add-mask::x", `:\:add-mask::x`},
		{"\x1b[2Jred", `\x1b[2Jred`},
		{"tab\there\r", `tab\there\r`},
		{"c1\u009bx", `c1\u009bx`},
		{"bidi\u202etxt", `bidi\u202etxt`},
		{"bad\xffbyte", `bad\xffbyte`},
		{"", ""},
	}
	for _, tt := range tests {
		if got := String(tt.in); got != tt.want {
			t.Errorf("String(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestLines(t *testing.T) {
	got := Lines("ok\n::error::x\n\x1b[31mred\n")
	if got != "ok\n:\\:error::x\n\\x1b[31mred\n" {
		t.Errorf("Lines = %q", got)
	}
	for _, l := range strings.Split(got, "\n") {
		if strings.HasPrefix(l, "::") {
			t.Errorf("line %q starts a workflow command", l)
		}
	}
}

func FuzzString(f *testing.F) {
	for _, s := range []string{"a\n::error::x", "\x1b[0m", "\u2028", "::x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out := String(s)
		if strings.ContainsAny(out, "\n\r\x1b\x00\u2028\u2029\u0085") || strings.HasPrefix(out, "::") {
			t.Errorf("String(%q) = %q is unsafe", s, out)
		}
		if clean(s) && out != s {
			t.Errorf("clean text changed: %q -> %q", s, out)
		}
	})
}
