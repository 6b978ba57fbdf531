package ecr

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/kscan-io/kscan/graph"
)

// Handler claims the JSON of `aws ecr describe-repositories`,
// `aws ecr get-repository-policy` and `aws ecr get-lifecycle-policy` among
// the files given to kscan scan (manifest.ContentHandler). A
// describe-repositories document may also carry "policies" and
// "lifecyclePolicies" arrays of the other two outputs, so one file can hold
// a whole registry.
type Handler struct{}

// Name implements manifest.ContentHandler.
func (Handler) Name() string { return "ecr" }

// Match sniffs the top of the file for the documents' distinctive keys.
func (Handler) Match(path string, data []byte) bool {
	head := bytes.TrimLeft(data[:min(len(data), 4096)], " \t\r\n\ufeff")
	if len(head) == 0 || head[0] != '{' {
		return false
	}
	has := func(k string) bool { return bytes.Contains(head, []byte(`"`+k+`"`)) }
	return (has("repositories") && has("repositoryArn")) ||
		(has("repositoryName") && (has("policyText") || has("lifecyclePolicyText")))
}

type policyDoc struct {
	RegistryID          string `json:"registryId"`
	RepositoryName      string `json:"repositoryName"`
	PolicyText          string `json:"policyText"`
	LifecyclePolicyText string `json:"lifecyclePolicyText"`
}

type offlineDoc struct {
	Repositories      []map[string]any `json:"repositories"`
	Policies          []policyDoc      `json:"policies"`
	LifecyclePolicies []policyDoc      `json:"lifecyclePolicies"`
	policyDoc
}

// Collect implements manifest.ContentHandler: problems are recorded in g
// with the file and line.
func (Handler) Collect(_ context.Context, path string, data []byte, g *graph.Graph) error {
	fail := func(line int, msg string) {
		g.AddError(graph.InputError{Source: graph.Source{Kind: graph.SourceFile, File: path, Line: line}, Message: msg})
	}
	var doc offlineDoc
	if err := json.Unmarshal(data, &doc); err != nil {
		line := 0
		var se *json.SyntaxError
		var te *json.UnmarshalTypeError
		switch {
		case errors.As(err, &se):
			line = lineAt(data, int(se.Offset))
		case errors.As(err, &te):
			line = lineAt(data, int(te.Offset))
		}
		fail(line, "not a valid aws ecr JSON document: "+err.Error())
		return nil
	}
	policies := map[string]policyDoc{}
	for _, p := range doc.Policies {
		policies[p.RegistryID+"/"+p.RepositoryName] = p
	}
	lifecycles := map[string]policyDoc{}
	for _, p := range doc.LifecyclePolicies {
		lifecycles[p.RegistryID+"/"+p.RepositoryName] = p
	}
	for i, r := range doc.Repositories {
		str := func(k string) string { s, _ := r[k].(string); return s }
		arn, uri, name := str("repositoryArn"), str("repositoryUri"), str("repositoryName")
		line := lineOf(data, arn)
		if uri == "" || name == "" {
			fail(line, fmt.Sprintf("repositories[%d]: repositoryUri and repositoryName are required (as aws ecr describe-repositories prints them)", i))
			continue
		}
		obj := map[string]any{
			"provider":           "ecr",
			"name":               name,
			"arn":                arn,
			"registryId":         str("registryId"),
			"repositoryUri":      uri,
			"repositoryUrl":      uri,
			"imageTagMutability": "MUTABLE", // the AWS default
		}
		if m := str("imageTagMutability"); m != "" {
			obj["imageTagMutability"] = m
		}
		scan := map[string]any{"scanOnPush": false}
		if c, ok := r["imageScanningConfiguration"].(map[string]any); ok {
			if v, ok := c["scanOnPush"].(bool); ok {
				scan["scanOnPush"] = v
			}
		}
		obj["imageScanningConfiguration"] = scan
		if e, ok := r["encryptionConfiguration"].(map[string]any); ok {
			obj["encryptionConfiguration"] = e
		}
		switch c := r["createdAt"].(type) {
		case string:
			obj["createdAt"] = c
		case float64: // epoch seconds, as the API itself sends
			obj["createdAt"] = time.Unix(int64(c), 0).UTC().Format(time.RFC3339)
		}
		n := newNode(obj, graph.Source{Kind: graph.SourceFile, File: path, Line: line})
		warn := func(msg string) {
			g.AddError(graph.InputError{Level: graph.LevelWarning, Source: n.Source, Resource: n.ID, Message: msg})
		}
		key := str("registryId") + "/" + name
		if p, ok := policies[key]; ok {
			setPolicy(n, p.PolicyText, warn)
		}
		if p, ok := lifecycles[key]; ok {
			setLifecycle(n, p.LifecyclePolicyText)
		} else if doc.LifecyclePolicies != nil {
			n.Object["lifecyclePolicy"] = false
		}
		g.AddNode(n)
	}
	// A stand-alone get-repository-policy / get-lifecycle-policy output.
	if p := doc.policyDoc; p.RepositoryName != "" && (p.PolicyText != "" || p.LifecyclePolicyText != "") {
		typ, kind, text := TypeRepositoryPolicy, "RepositoryPolicy", p.PolicyText
		if text == "" {
			typ, kind, text = TypeLifecyclePolicy, "LifecyclePolicy", p.LifecyclePolicyText
		}
		var parsed map[string]any
		if err := json.Unmarshal([]byte(text), &parsed); err != nil {
			fail(lineOf(data, `"policyText"`), kind+" text is not valid JSON")
			return nil
		}
		attr := "policy_document"
		if typ == TypeLifecyclePolicy {
			attr = "lifecycle_policy"
		}
		g.AddNode(&graph.Node{
			ID:     kind + "/" + p.RegistryID + "/" + p.RepositoryName,
			Type:   typ,
			Object: map[string]any{"repository": p.RepositoryName, "registryId": p.RegistryID},
			Source: graph.Source{Kind: graph.SourceFile, File: path, Line: 1},
			Attrs:  map[string]any{attr: parsed},
		})
	}
	return nil
}

// lineOf is the 1-based line where s first occurs (1 when absent).
func lineOf(data []byte, s string) int {
	if s == "" {
		return 1
	}
	i := bytes.Index(data, []byte(s))
	if i < 0 {
		return 1
	}
	return lineAt(data, i)
}

func lineAt(data []byte, off int) int {
	if off > len(data) {
		off = len(data)
	}
	return bytes.Count(data[:off], []byte("\n")) + 1
}
