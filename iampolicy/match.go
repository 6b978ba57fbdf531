package iampolicy

import "strings"

// Glob matches s against an IAM pattern where * matches any run of
// characters and ? one character. Callers lowercase both sides where AWS
// compares case-insensitively (actions).
func Glob(pattern, s string) bool {
	p, i := 0, 0
	star, mark := -1, 0
	for i < len(s) {
		switch {
		case p < len(pattern) && (pattern[p] == '?' || pattern[p] == s[i]):
			p++
			i++
		case p < len(pattern) && pattern[p] == '*':
			star, mark = p, i
			p++
		case star >= 0:
			p = star + 1
			mark++
			i = mark
		default:
			return false
		}
	}
	for p < len(pattern) && pattern[p] == '*' {
		p++
	}
	return p == len(pattern)
}

// expandVars replaces policy variables (${aws:username}) with *: without a
// request we cannot know their value, so a pattern with one may match
// anything in its place.
func expandVars(p string) string {
	for {
		i := strings.Index(p, "${")
		if i < 0 {
			return p
		}
		j := strings.Index(p[i:], "}")
		if j < 0 {
			return p
		}
		p = p[:i] + "*" + p[i+j+1:]
	}
}

// prefixCompatible reports whether some string matched by pattern starts
// with prefix (so a resource pattern can name a resource of that kind).
func prefixCompatible(pattern, prefix string) bool {
	for i := 0; i < len(prefix); i++ {
		if i >= len(pattern) {
			return false
		}
		switch pattern[i] {
		case '*':
			return true
		case '?':
			continue
		}
		if pattern[i] != prefix[i] {
			return false
		}
	}
	return true
}

// matchesAll reports whether a pattern matches every string: only stars.
func matchesAll(pattern string) bool {
	return pattern != "" && strings.Trim(pattern, "*") == ""
}

// actionCoversAll: a pattern that matches every action ("*", "*:*").
func actionCoversAll(p string) bool {
	return matchesAll(p) || (strings.HasSuffix(p, ":*") && matchesAll(strings.TrimSuffix(p, ":*")))
}

// resourceCoversAll: a resource pattern that matches every ARN.
func resourceCoversAll(p string) bool {
	switch {
	case matchesAll(p), p == "arn:*", p == "arn:aws:*", p == "arn:*:*":
		return true
	}
	return false
}
