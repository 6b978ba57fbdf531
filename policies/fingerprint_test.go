package policies

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"sort"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// TestEveryRuleDeclaresIdentity: the identity (what the fingerprint hashes
// besides the rule and the resource) is part of every built-in rule's
// documented contract.
func TestEveryRuleDeclaresIdentity(t *testing.T) {
	for _, r := range testEngine(t).Rules() {
		if r.Custom {
			continue
		}
		if !strings.HasPrefix(r.Identity, "resource") {
			t.Errorf("%s: METADATA custom.identity is %q; want \"resource\" or \"resource + <discriminator>\"", r.ID, r.Identity)
		}
	}
}

// exampleObjects decodes a rule example: YAML documents or a JSON node (or
// list of nodes).
func exampleObjects(t *testing.T, name, content string) []any {
	t.Helper()
	var out []any
	if strings.HasSuffix(name, ".json") {
		var v any
		if err := json.Unmarshal([]byte(content), &v); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if list, ok := v.([]any); ok {
			return list
		}
		return []any{v}
	}
	dec := yaml.NewDecoder(strings.NewReader(content))
	for {
		var v any
		err := dec.Decode(&v)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if m, ok := v.(map[string]any); ok {
			if list, ok := m["items"].([]any); ok && m["kind"] == "List" {
				out = append(out, list...)
				continue
			}
			out = append(out, m)
		}
	}
	return out
}

// images lists every string under an "image" key.
func images(v any, out map[string]bool) {
	switch t := v.(type) {
	case map[string]any:
		for k, e := range t {
			if s, ok := e.(string); ok && k == "image" {
				out[s] = true
			}
			images(e, out)
		}
	case []any:
		for _, e := range t {
			images(e, out)
		}
	}
}

// TestFingerprintsIgnoreUnrelatedChanges scans every failure example of
// every built-in rule, then the same objects with unrelated ones put first
// (which moves every line): a new namespace, a ServiceAccount, a ConfigMap
// and a workload that pulls every image the example uses (so messages that
// list an image's users, such as registry/mutable-tags', change). Every
// fingerprint of the first scan must be in the second.
func TestFingerprintsIgnoreUnrelatedChanges(t *testing.T) {
	e := testEngine(t)
	changedMessages := 0
	for _, r := range e.Rules() {
		if r.Custom {
			continue
		}
		names := make([]string, 0, len(r.Examples))
		for n := range r.Examples {
			if strings.HasPrefix(n, "failure.") {
				names = append(names, n)
			}
		}
		sort.Strings(names)
		for _, n := range names {
			// deepCopy: yaml.v3 and JSON values alike, as plain JSON.
			t.Run(r.ID+"/"+n, func(t *testing.T) {
				base := exampleObjects(t, n, r.Examples[n])
				imgs := map[string]bool{}
				images(base, imgs)
				if len(imgs) == 0 {
					// A repository node alone: an image stored in it.
					for _, o := range base {
						if m, ok := o.(map[string]any); ok && m["type"] == "registry:Repository" {
							imgs[m["id"].(string)+":1.0"] = true
						}
					}
				}
				var containers []any
				list := make([]string, 0, len(imgs))
				for img := range imgs {
					list = append(list, img)
				}
				sort.Strings(list)
				for i, img := range list {
					containers = append(containers, map[string]any{"name": "c" + string(rune('a'+i%26)) + strings.Repeat("x", i/26), "image": img})
				}
				unrelated := []any{
					map[string]any{"apiVersion": "v1", "kind": "Namespace", "metadata": map[string]any{"name": "unrelated"}},
					map[string]any{"apiVersion": "v1", "kind": "ServiceAccount", "metadata": map[string]any{"name": "extra", "namespace": "unrelated"}},
					map[string]any{"apiVersion": "v1", "kind": "ConfigMap", "metadata": map[string]any{"name": "extra", "namespace": "unrelated"}, "data": map[string]any{"a": "b"}},
				}
				if len(containers) > 0 {
					unrelated = append(unrelated, map[string]any{"apiVersion": "apps/v1", "kind": "Deployment",
						"metadata": map[string]any{"name": "extra", "namespace": "unrelated"},
						"spec":     map[string]any{"template": map[string]any{"spec": map[string]any{"serviceAccountName": "extra", "containers": containers}}}})
				}
				if _, err := InputFromObjects(t.Context(), deepCopy(base).([]any), derive); err != nil {
					t.Skipf("%s is an input of its collector, not graph objects (%v)", n, err)
				}
				before := evalObjects(t, e, r, base)
				if len(before) == 0 {
					t.Skipf("%s gives no finding from plain objects (judged by its collector's tests)", n)
				}
				after := evalObjects(t, e, r, append(unrelated, deepCopy(base).([]any)...))
				for key, fp := range before {
					got, ok := after[key]
					switch {
					case !ok:
						t.Errorf("fingerprint %s (%s) is gone after unrelated changes", fp.fp, key)
					case got.msg != fp.msg:
						changedMessages++
					}
				}
			})
		}
	}
	// The additions must have changed some message, or this test proves
	// nothing about messages.
	if changedMessages == 0 {
		t.Error("no message changed with the unrelated additions; the test no longer exercises message-independence")
	}
}

type fpEntry struct{ fp, msg string }

// evalObjects evaluates one rule on plain objects and returns its findings
// by fingerprint.
func evalObjects(t *testing.T, e *Engine, r Rule, objs []any) map[string]fpEntry {
	t.Helper()
	in, err := InputFromObjects(t.Context(), objs, derive)
	if err != nil {
		t.Fatal(err)
	}
	fs, ruleErrs, err := e.Eval(context.Background(), in, []Rule{r})
	if err != nil {
		t.Fatal(err)
	}
	for _, re := range ruleErrs {
		t.Errorf("%v", re)
	}
	out := map[string]fpEntry{}
	for _, f := range fs {
		out[f.Fingerprint] = fpEntry{f.Fingerprint, f.Message}
	}
	return out
}

func deepCopy(v any) any {
	var b bytes.Buffer
	json.NewEncoder(&b).Encode(v)
	var out any
	json.Unmarshal(b.Bytes(), &out)
	return out
}
