package graph

import (
	"regexp"
	"strings"
)

// RedactSecretLooking replaces, in a Kubernetes object as it enters the
// graph, the values that look like credentials with SecretMarker, so that
// no rule, query, report or snapshot can hold them:
//
//   - under a credential name (password, token, secret, api key, private
//     key… the names k8s/secret-in-env judges, without names about a
//     credential such as TOKEN_URL or SECRET_NAME): an annotation, a
//     ConfigMap data or binaryData key, and the value of any {name, value}
//     entry (env);
//   - anywhere: a PEM private key (kept as its BEGIN line and the marker,
//     so that rules still see what it is) and AWS access key ids.
//
// Values that cannot be credentials stay (empty, true/false/yes/no, a
// $(VAR) reference, markers), so the rules judge exactly what they judged
// before: a literal credential is still reported, by name, never by value.
// Secrets are left to their own handling (their data is secret whatever
// the key).
func RedactSecretLooking(obj map[string]any) {
	kind, _ := obj["kind"].(string)
	if kind == "Secret" {
		return
	}
	if meta, ok := obj["metadata"].(map[string]any); ok {
		if ann, ok := meta["annotations"].(map[string]any); ok {
			redactByKey(ann)
		}
	}
	if kind == "ConfigMap" {
		for _, f := range []string{"data", "binaryData"} {
			if m, ok := obj[f].(map[string]any); ok {
				redactByKey(m)
			}
		}
	}
	redactWalk(obj, 0)
}

// redactByKey redacts the literal values of credential-named keys.
func redactByKey(m map[string]any) {
	for k, v := range m {
		if s, ok := v.(string); ok && CredentialName(k) && maybeCredential(s) {
			m[k] = SecretMarker
		}
	}
}

// maxRedactDepth bounds the walk (decoders already bound nesting).
const maxRedactDepth = 600

// redactWalk redacts {name, value} entries with a credential name, PEM
// private keys and AWS access key ids in every string below v.
func redactWalk(v any, depth int) any {
	if depth > maxRedactDepth {
		return v
	}
	switch x := v.(type) {
	case map[string]any:
		if name, ok := x["name"].(string); ok {
			if s, ok := x["value"].(string); ok && CredentialName(name) && maybeCredential(s) {
				x["value"] = redactString(s, true)
			}
		}
		for k, e := range x {
			if r := redactWalk(e, depth+1); !sameString(r, e) {
				x[k] = r
			}
		}
	case []any:
		for i, e := range x {
			if r := redactWalk(e, depth+1); !sameString(r, e) {
				x[i] = r
			}
		}
	case string:
		return redactString(x, false)
	}
	return v
}

func sameString(a, b any) bool {
	sa, ok1 := a.(string)
	sb, ok2 := b.(string)
	return !ok1 || !ok2 || sa == sb
}

var (
	pemPrivateKey = regexp.MustCompile(`-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----`)
	awsKeyID      = regexp.MustCompile(`\b(AKIA|ASIA)[0-9A-Z]{16}\b`)
)

// redactString is s without its PEM private keys and AWS access key ids;
// whole: a credential by name, redacted entirely (its PEM BEGIN line kept).
func redactString(s string, whole bool) string {
	if strings.Contains(s, "PRIVATE KEY") {
		if loc := pemPrivateKey.FindStringIndex(s); loc != nil {
			return s[loc[0]:loc[1]] + " " + SecretMarker
		}
	}
	if whole {
		return SecretMarker
	}
	if strings.Contains(s, "AKIA") || strings.Contains(s, "ASIA") {
		s = awsKeyID.ReplaceAllString(s, SecretMarker)
	}
	return s
}

// maybeCredential: a value that may be a credential (k8s/secret-in-env's
// literal()).
func maybeCredential(s string) bool {
	v := strings.TrimSpace(s)
	switch strings.ToLower(v) {
	case "", "true", "false", "yes", "no", UnknownMarker, SecretMarker:
		return false
	}
	return !varRef.MatchString(v)
}

var (
	varRef    = regexp.MustCompile(`^(\$\([A-Za-z_][A-Za-z0-9_]*\))+$`)
	camel     = regexp.MustCompile(`([a-z0-9])([A-Z])`)
	nonAlnum  = regexp.MustCompile(`[^A-Za-z0-9]+`)
	credWords = []string{"PASSWORD", "PASSWD", "PASSPHRASE", "SECRET", "TOKEN", "API_KEY", "APIKEY", "ACCESS_KEY", "PRIVATE_KEY", "CREDENTIAL", "SIGNING_KEY", "ENCRYPTION_KEY", "MASTER_KEY", "AUTH_KEY", "CLIENT_KEY"}
	aboutCred = []string{"_FILE", "_PATH", "_DIR", "_NAME", "_URL", "_URI", "_ENDPOINT", "_HOST", "_PORT", "_TTL", "_TIMEOUT", "_EXPIRY", "_EXPIRATION", "_LENGTH", "_HEADER", "_ID", "_ENABLED", "_REQUIRED", "_TYPE", "_REF", "_MOUNT", "_LOCATION", "_KEY_ID", "_ALGORITHM", "_POLICY", "_AUDIENCE", "_ISSUER", "_SCOPE", "_SCOPES"}
)

// CredentialName reports whether a name says it holds a credential, as
// k8s/secret-in-env decides it: "jwtSigningKey", "DB_PASSWORD",
// "api-token"; not "TOKEN_URL", "SECRET_NAME", "AWS_ACCESS_KEY_ID".
func CredentialName(name string) bool {
	// Every credential word holds one of these: most names are ruled out
	// without the regular expressions.
	up := strings.ToUpper(name)
	if !strings.Contains(up, "PASS") && !strings.Contains(up, "SECRET") && !strings.Contains(up, "TOKEN") &&
		!strings.Contains(up, "KEY") && !strings.Contains(up, "CREDENTIAL") {
		return false
	}
	n := strings.ToUpper(nonAlnum.ReplaceAllString(camel.ReplaceAllString(name, "${1}_${2}"), "_"))
	hit := false
	for _, w := range credWords {
		if strings.Contains(n, w) {
			hit = true
			break
		}
	}
	if !hit {
		return false
	}
	for _, s := range aboutCred {
		if strings.HasSuffix(n, s) {
			return false
		}
	}
	return true
}
