package policies

import (
	"fmt"
	"regexp"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/topdown"
	"github.com/open-policy-agent/opa/v1/topdown/builtins"
)

// MaxBuiltinResult bounds the string one call of replace,
// strings.replace_n or regex.replace may build. Their output can be the
// square of their input (replace(s, "a", s)), and a single call allocates
// its result in doubling steps faster than the memory watch
// (internal/memguard) can stop it, so the size is computed first and a
// larger result is an error naming the built-in.
const MaxBuiltinResult = 64 << 20

var boundOnce sync.Once

// boundBuiltins wraps OPA's string-multiplying built-ins with a size check
// before they run. OPA looks its standard built-ins up in one global table
// that a query cannot override, so this replaces them there, once, for the
// whole process; results within the bound are OPA's own.
func boundBuiltins() {
	boundOnce.Do(func() {
		for name, size := range map[string]func([]*ast.Term) (int, bool){
			ast.Replace.Name:      replaceSize,
			ast.ReplaceN.Name:     replaceNSize,
			ast.RegexReplace.Name: regexReplaceSize,
		} {
			orig := topdown.GetBuiltin(name)
			if orig == nil {
				continue
			}
			topdown.RegisterBuiltinFunc(name, func(bctx topdown.BuiltinContext, operands []*ast.Term, iter func(*ast.Term) error) error {
				if n, ok := size(operands); ok && n > MaxBuiltinResult {
					return fmt.Errorf("%s: the result would be %d MiB, more than the limit of %d MiB", name, n>>20, MaxBuiltinResult>>20)
				}
				return orig(bctx, operands, iter)
			})
		}
	})
}

func strOperands(operands []*ast.Term, idx ...int) ([]string, bool) {
	out := make([]string, len(idx))
	for j, i := range idx {
		if i >= len(operands) {
			return nil, false
		}
		s, err := builtins.StringOperand(operands[i].Value, i+1)
		if err != nil {
			return nil, false
		}
		out[j] = string(s)
	}
	return out, true
}

// count is how many replacements strings.Replace makes: one per
// occurrence, or one around every rune for an empty old string.
func count(s, sub string) int {
	if sub == "" {
		return utf8.RuneCountInString(s) + 1
	}
	return strings.Count(s, sub)
}

// grown is len(s) plus n insertions of extra bytes each, saturating at
// MaxBuiltinResult+1.
func grown(s string, n, extra int) int {
	if extra <= 0 || n == 0 {
		return len(s)
	}
	if n > (MaxBuiltinResult+1)/extra {
		return MaxBuiltinResult + 1
	}
	return min(len(s)+n*extra, MaxBuiltinResult+1)
}

// replaceSize is the exact length of replace(s, old, new).
func replaceSize(operands []*ast.Term) (int, bool) {
	s, ok := strOperands(operands, 0, 1, 2)
	if !ok {
		return 0, false // OPA reports the operand error
	}
	return grown(s[0], count(s[0], s[1]), len(s[2])-len(s[1])), true
}

// replaceNSize bounds strings.replace_n(patterns, s) from above: every
// occurrence of every pattern replaced, overlaps counted twice.
func replaceNSize(operands []*ast.Term) (int, bool) {
	if len(operands) < 2 {
		return 0, false
	}
	obj, ok := operands[0].Value.(ast.Object)
	str, ok2 := operands[1].Value.(ast.String)
	if !ok || !ok2 {
		return 0, false
	}
	s := string(str)
	total := len(s)
	obj.Foreach(func(k, v *ast.Term) {
		old, ok := k.Value.(ast.String)
		nw, ok2 := v.Value.(ast.String)
		if ok && ok2 {
			total = min(total+grown(s, count(s, string(old)), len(nw)-len(old))-len(s), MaxBuiltinResult+1)
		}
	})
	return total, true
}

// regexReplaceSize is the exact length of regex.replace(s, pattern,
// value), $-expansions included, counted match by match up to the bound.
func regexReplaceSize(operands []*ast.Term) (int, bool) {
	s, ok := strOperands(operands, 0, 1, 2)
	if !ok {
		return 0, false
	}
	re, err := compileRegex(s[1])
	if err != nil {
		return 0, false // OPA reports it
	}
	base, value := s[0], s[2]
	total, last := 0, 0
	var buf []byte
	for _, m := range re.FindAllStringSubmatchIndex(base, -1) {
		buf = re.ExpandString(buf[:0], value, base, m)
		total += m[0] - last + len(buf)
		last = m[1]
		if total > MaxBuiltinResult {
			return total, true
		}
	}
	return total + len(base) - last, true
}

// regexCache keeps the patterns regexReplaceSize compiled (a rule calls
// regex.replace with the same few patterns over and over), up to
// maxCachedRegex of them.
var regexCache struct {
	sync.Mutex
	m map[string]*regexp.Regexp
}

const maxCachedRegex = 1000

func compileRegex(p string) (*regexp.Regexp, error) {
	regexCache.Lock()
	re, ok := regexCache.m[p]
	regexCache.Unlock()
	if ok {
		return re, nil
	}
	re, err := regexp.Compile(p)
	if err != nil {
		return nil, err
	}
	regexCache.Lock()
	if regexCache.m == nil {
		regexCache.m = map[string]*regexp.Regexp{}
	}
	if len(regexCache.m) < maxCachedRegex {
		regexCache.m[p] = re
	}
	regexCache.Unlock()
	return re, nil
}
