package iampolicy

import "strings"

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
