// Package glob matches the wildcard patterns kscan accepts everywhere: rule
// ids (--rules 'k8s/*'), resource identities in ignore files, and AWS IAM
// actions and ARNs. * matches any run of characters, slashes included; ?
// matches one character. Matching is case-sensitive; callers fold case
// where their domain does (IAM actions).
package glob

// Match reports whether s matches pattern.
func Match(pattern, s string) bool {
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
