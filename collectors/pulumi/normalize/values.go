// Package normalize turns one Pulumi resource (its type token, URN and
// property maps) into kscan graph nodes of the same shape other sources
// produce. The state collector and the Pulumi analyzer both use it, so a
// resource is judged the same whether it comes from a stack export or from a
// preview.
//
// Property values are plain map[string]any (JSON-decoded). Pulumi's special
// values are replaced before anything else sees them: secrets become
// SecretMarker (their plaintext or ciphertext is dropped, never kept),
// unknown/computed values become UnknownMarker.
package normalize

import (
	"maps"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/kscan-io/kscan/graph"
)

// Pulumi's signature key and values (sdk/go/common/resource/sig). They are
// copied rather than imported so that this package stays light for the
// analyzer plugin.
const (
	sigKey       = "4dabf18193072939515e22adb298388d"
	sigSecret    = "1b47061264138c4ac30d75fd1eb44270"
	sigResRef    = "5cf8f73096256a8f31e491e813e4eb8e"
	sigOutput    = "d0e6a833031e9bbcd3f4e8bde6ca49a4"
	sigAsset     = "c44067f5952c0a294b673a41bacd8c17"
	sigArchive   = "0def7320c3a5731c473e5ecbe6d01bc7"
	sigByteStr   = "803fd3297a5875dc03ca845dda5d2a98"
	unknownValue = "04da6b54-80e4-46f7-96ec-b56ff0331ba9" // plugin.UnknownStringValue
)

// Markers that stand in for values kscan does not (or must not) know
// (graph.SecretMarker, graph.UnknownMarker).
const (
	SecretMarker  = graph.SecretMarker
	UnknownMarker = graph.UnknownMarker
)

// maxDepth bounds recursion on hostile input.
const maxDepth = 64

// Cleaned is a property map with Pulumi's special values replaced, and the
// paths where secrets and unknowns were found.
type Cleaned struct {
	Value    map[string]any
	Secrets  []string
	Unknowns []string
}

// Clean replaces secrets, unknowns, output values, resource references and
// assets in a property map. prefix is prepended to recorded paths ("inputs").
// The input map is not modified.
func Clean(props map[string]any, prefix string) Cleaned {
	c := &cleaner{}
	out := map[string]any{}
	for _, k := range slices.Sorted(maps.Keys(props)) {
		out[k] = c.value(props[k], join(prefix, k), 0)
	}
	sort.Strings(c.secrets)
	sort.Strings(c.unknowns)
	return Cleaned{Value: out, Secrets: c.secrets, Unknowns: c.unknowns}
}

type cleaner struct{ secrets, unknowns []string }

func (c *cleaner) value(v any, path string, depth int) any {
	if depth > maxDepth {
		c.unknowns = append(c.unknowns, path)
		return UnknownMarker
	}
	switch t := v.(type) {
	case string:
		if t == unknownValue {
			c.unknowns = append(c.unknowns, path)
			return UnknownMarker
		}
		return t
	case []any:
		out := make([]any, len(t))
		for i, e := range t {
			out[i] = c.value(e, path+"["+strconv.Itoa(i)+"]", depth+1)
		}
		return out
	case map[string]any:
		if sig, ok := t[sigKey].(string); ok {
			return c.special(sig, t, path, depth)
		}
		out := make(map[string]any, len(t))
		for k, e := range t {
			out[k] = c.value(e, join(path, k), depth+1)
		}
		return out
	}
	return v
}

func (c *cleaner) special(sig string, t map[string]any, path string, depth int) any {
	switch sig {
	case sigSecret:
		// Never decrypted, never kept: plaintext, ciphertext and value alike.
		c.secrets = append(c.secrets, path)
		return SecretMarker
	case sigOutput:
		if s, _ := t["secret"].(bool); s {
			c.secrets = append(c.secrets, path)
			return SecretMarker
		}
		val, known := t["value"]
		if !known {
			c.unknowns = append(c.unknowns, path)
			return UnknownMarker
		}
		return c.value(val, path, depth+1)
	case sigResRef:
		if id, ok := t["id"]; ok {
			if s, _ := id.(string); s != "" {
				return c.value(id, path, depth+1)
			}
		}
		if urn, _ := t["urn"].(string); urn != "" {
			return urn
		}
		c.unknowns = append(c.unknowns, path)
		return UnknownMarker
	case sigAsset, sigArchive:
		// Asset text can be program source or a key file: keep only where it
		// comes from.
		out := map[string]any{}
		for _, k := range []string{"path", "uri", "hash"} {
			if s, ok := t[k].(string); ok {
				out[k] = s
			}
		}
		return out
	case sigByteStr:
		return "[bytes]"
	}
	c.unknowns = append(c.unknowns, path)
	return UnknownMarker
}

// IsMarker reports whether v is one of the stand-in values.
func IsMarker(v any) bool { return graph.IsMarker(v) }

func join(prefix, k string) string {
	if prefix == "" {
		return k
	}
	return prefix + "." + k
}

// secretWords are the last word of a property name that holds a secret;
// secretPairs the last two. Names ending in Name, Id, Arn, Ref, Length,
// Seconds… only point at a secret and are left alone.
var secretWords = map[string]bool{
	"password": true, "passwd": true, "pwd": true, "secret": true, "token": true,
	"passphrase": true, "credential": true, "credentials": true, "privatekey": true,
	"connectionstring": true, "apikey": true, "tokens": true, "secrets": true,
	"passwords": true,
}

var formatWords = map[string]bool{
	"pem": true, "openssh": true, "pkcs8": true, "pkcs1": true, "der": true,
	"base64": true, "b64": true, "hex": true, "raw": true,
}

var secretPairs = map[string]bool{
	"private key": true, "connection string": true, "api key": true,
	"secret key": true, "secret string": true, "auth key": true, "client secret": true,
	"signing key": true, "master password": true,
}

// LooksSecret reports whether a property name suggests a secret value
// (password, clientSecret, private_key, connectionString, apiKey…).
func LooksSecret(name string) bool {
	words := splitWords(name)
	if len(words) == 0 {
		return false
	}
	// A format suffix names how the secret is encoded, not what it is:
	// privateKeyPem, private_key_openssh, clientSecretBase64.
	for len(words) > 1 && formatWords[words[len(words)-1]] {
		words = words[:len(words)-1]
	}
	last := words[len(words)-1]
	if secretWords[last] {
		return true
	}
	if len(words) >= 2 && secretPairs[words[len(words)-2]+" "+last] {
		return true
	}
	return false
}

// splitWords splits camelCase, snake_case, kebab-case and dotted names into
// lower-case words.
func splitWords(s string) []string {
	var words []string
	var cur []rune
	flush := func() {
		if len(cur) > 0 {
			words = append(words, strings.ToLower(string(cur)))
			cur = cur[:0]
		}
	}
	rs := []rune(s)
	for i, r := range rs {
		switch {
		case r == '_' || r == '-' || r == '.' || r == ' ' || r == '/':
			flush()
		case r >= 'A' && r <= 'Z':
			prevLower := i > 0 && rs[i-1] >= 'a' && rs[i-1] <= 'z'
			nextLower := i+1 < len(rs) && rs[i+1] >= 'a' && rs[i+1] <= 'z'
			prevUpper := i > 0 && rs[i-1] >= 'A' && rs[i-1] <= 'Z'
			if prevLower || (prevUpper && nextLower) {
				flush()
			}
			cur = append(cur, r)
		default:
			cur = append(cur, r)
		}
	}
	flush()
	return words
}
