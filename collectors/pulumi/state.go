// Package pulumi collects the resources of Pulumi stacks from their state:
// `pulumi stack export` documents, checkpoint files, and DIY backends
// (a folder or file:// URL holding .pulumi/stacks/<project>/<stack>.json).
// Each resource is normalised by package normalize into the node shape every
// other source produces, with its URN as identity.
package pulumi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"

	"github.com/kscan-io/kscan/collectors/pulumi/normalize"
	"github.com/kscan-io/kscan/graph"
	"github.com/kscan-io/kscan/internal/relpath"
	"github.com/kscan-io/kscan/internal/safefile"
)

// MaxStateSize bounds one state file (after decompression). Stack states are
// often far larger than manifests, hence a limit of its own.
const MaxStateSize = 512 << 20

// Supported deployment schema versions.
const (
	minVersion = 3
	maxVersion = apitype.DeploymentSchemaVersionLatest
)

// deployment is apitype.DeploymentV3 reduced to what kscan reads; the
// resource type is Pulumi's own.
type deployment struct {
	Resources []apitype.ResourceV3 `json:"resources"`
}

// Handler claims stack exports and checkpoints among the files given to
// kscan scan (manifest.ContentHandler).
type Handler struct{}

// Name implements manifest.ContentHandler.
func (Handler) Name() string { return "pulumi state" }

// Match sniffs the top of the file: a JSON object with "version" and
// "deployment" (stack export) or "checkpoint" (backend checkpoint), or an
// encrypted .json whose content cannot be anything else kscan reads.
func (Handler) Match(path string, data []byte) bool {
	head := bytes.TrimLeft(data[:min(len(data), 4096)], " \t\r\n\ufeff")
	if encryptedKind(head) != "" {
		return strings.HasSuffix(strings.ToLower(path), ".json")
	}
	if len(head) == 0 || head[0] != '{' {
		return false
	}
	if !bytes.Contains(head, []byte(`"version"`)) ||
		!(bytes.Contains(head, []byte(`"deployment"`)) || bytes.Contains(head, []byte(`"checkpoint"`))) {
		return false
	}
	// The words can occur anywhere in a manifest (a label "version", a name
	// "deployment"): claim the file only when they are top-level keys.
	return hasTopLevelKeys(data)
}

// hasTopLevelKeys reports whether the JSON object in data has "version" and
// "deployment" or "checkpoint" as top-level keys. It stops as soon as it
// knows; a truncated or invalid file that had both keys before the damage
// still matches, so the parser can name the problem.
func hasTopLevelKeys(data []byte) bool {
	dec := json.NewDecoder(bytes.NewReader(data))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return false
	}
	version, body := false, false
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return false
		}
		switch t {
		case "version":
			version = true
		case "deployment", "checkpoint":
			body = true
		}
		if version && body {
			return true
		}
		if err := skipValue(dec); err != nil {
			return false
		}
	}
	return false
}

// skipValue consumes one JSON value from dec without building it.
func skipValue(dec *json.Decoder) error {
	depth := 0
	for {
		t, err := dec.Token()
		if err != nil {
			return err
		}
		switch t {
		case json.Delim('{'), json.Delim('['):
			depth++
		case json.Delim('}'), json.Delim(']'):
			depth--
		}
		if depth == 0 {
			return nil
		}
	}
}

// Collect implements manifest.ContentHandler: problems are recorded in g.
func (Handler) Collect(ctx context.Context, path string, data []byte, g *graph.Graph) error {
	CollectState(path, data, g)
	return nil
}

// CollectFile reads one state file (optionally gzip-compressed) into g.
// name is how the file is named in locations. A file that cannot be read
// or parsed is an input error naming it; the error returned is only for
// cancellation (checked before the file is read).
func CollectFile(ctx context.Context, path, name string, g *graph.Graph) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	data, err := readState(path)
	if err != nil {
		g.AddError(graph.InputError{Source: graph.Source{Kind: graph.SourcePulumiState, File: name}, Message: err.Error()})
		return nil
	}
	CollectState(name, data, g)
	return nil
}

// CollectState parses a stack export or checkpoint and adds its resources to
// g. Any problem is an input error naming the file; nothing else is affected.
func CollectState(name string, data []byte, g *graph.Graph) {
	src := graph.Source{Kind: graph.SourcePulumiState, File: name}
	resources, err := Parse(data)
	if err != nil {
		g.AddError(graph.InputError{Source: src, Message: err.Error()})
		return
	}
	AddResources(resources, src, g)
}

// Parse decodes a stack export ({"version","deployment"}) or a checkpoint
// ({"version","checkpoint":{"latest"}}) and returns its resources. Errors
// never contain property values.
func Parse(data []byte) ([]apitype.ResourceV3, error) {
	trimmed := bytes.TrimLeft(data, " \t\r\n\ufeff")
	if k := encryptedKind(trimmed); k != "" {
		return nil, fmt.Errorf("the state is encrypted as a whole (%s); decrypt it, or use `pulumi stack export`, and scan the result", k)
	}
	if len(trimmed) == 0 {
		return nil, errors.New("empty file; expected the JSON of `pulumi stack export` or a checkpoint")
	}
	var top struct {
		Version    *int            `json:"version"`
		Deployment json.RawMessage `json:"deployment"`
		Checkpoint json.RawMessage `json:"checkpoint"`
		Sops       json.RawMessage `json:"sops"`
	}
	if err := json.Unmarshal(trimmed, &top); err != nil {
		return nil, jsonError(data, err)
	}
	if len(top.Sops) > 0 {
		return nil, errors.New("the state is encrypted as a whole (sops); decrypt it first and scan the result")
	}
	if top.Version == nil {
		return nil, errors.New(`not a Pulumi state: no "version" field`)
	}
	v := *top.Version
	if v < minVersion || v > maxVersion {
		return nil, fmt.Errorf("unsupported deployment version %d (kscan reads versions %d to %d; re-export the stack with a current Pulumi CLI)", v, minVersion, maxVersion)
	}
	raw := top.Deployment
	if len(raw) == 0 || string(raw) == "null" {
		if len(top.Checkpoint) == 0 {
			return nil, errors.New(`not a Pulumi state: neither "deployment" nor "checkpoint" is present`)
		}
		var cp struct {
			Latest json.RawMessage `json:"latest"`
		}
		if err := json.Unmarshal(top.Checkpoint, &cp); err != nil {
			return nil, fmt.Errorf("checkpoint: %v", sanitize(err))
		}
		raw = cp.Latest
		if len(raw) == 0 || string(raw) == "null" {
			return nil, nil // a stack that was never deployed
		}
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var d deployment
	if err := dec.Decode(&d); err != nil {
		return nil, fmt.Errorf("deployment: %v", sanitize(err))
	}
	for i := range d.Resources {
		d.Resources[i].Inputs, _ = graph.PlainNumbers(d.Resources[i].Inputs).(map[string]any)
		d.Resources[i].Outputs, _ = graph.PlainNumbers(d.Resources[i].Outputs).(map[string]any)
	}
	return d.Resources, nil
}

// AddResources normalises resources into g with src (File set) as their
// source.
func AddResources(resources []apitype.ResourceV3, src graph.Source, g *graph.Graph) {
	var all []*graph.Node
	for _, r := range resources {
		urn := string(r.URN)
		if urn == "" {
			g.AddError(graph.InputError{Source: src, Message: "a resource has no urn; skipped"})
			continue
		}
		if r.Delete {
			continue // pending deletion: no longer declared
		}
		s := src
		s.URN = urn
		for _, n := range normalize.NodesFromResource(urn, string(r.Type), r.Inputs, r.Outputs, s) {
			p, _ := n.Attrs[normalize.AttrPulumi].(map[string]any)
			if p != nil {
				if r.ID != "" {
					p["id"] = string(r.ID)
				}
				if r.Provider != "" {
					p["provider"] = providerURN(r.Provider)
				}
				if r.Parent != "" {
					p["parent"] = string(r.Parent)
				}
				if len(r.Dependencies) > 0 {
					deps := make([]string, len(r.Dependencies))
					for i, d := range r.Dependencies {
						deps[i] = string(d)
					}
					sort.Strings(deps)
					p["dependencies"] = graph.AnyList(deps)
				}
				p["protect"] = r.Protect
				p["external"] = r.External
				p["custom"] = r.Custom
			}
			all = append(all, n)
		}
	}
	// Attachments are folded into roles within one stack, before the nodes
	// are shared, so concurrent collection stays safe.
	normalize.Link(all)
	for _, n := range all {
		g.AddNode(n)
	}
}

// providerURN drops the "::<id>" suffix of a provider reference.
func providerURN(ref string) string {
	if i := strings.LastIndex(ref, "::"); i > 0 && strings.Count(ref, "::") > 3 {
		return ref[:i]
	}
	return ref
}

// encryptedKind recognises a whole-file encryption envelope.
func encryptedKind(head []byte) string {
	switch {
	case bytes.HasPrefix(head, []byte("-----BEGIN AGE ENCRYPTED FILE-----")), bytes.HasPrefix(head, []byte("age-encryption.org/")):
		return "age"
	case bytes.HasPrefix(head, []byte("-----BEGIN PGP MESSAGE-----")):
		return "OpenPGP"
	case len(head) > 0 && (head[0] == 0x85 || head[0] == 0x8c || head[0] == 0xc1 || head[0] == 0x84):
		return "binary OpenPGP"
	}
	return ""
}

// jsonError names the line of a syntax error; the message of a type error
// is reduced so that it never quotes a value.
func jsonError(data []byte, err error) error {
	if errors.Is(err, io.ErrUnexpectedEOF) || strings.Contains(err.Error(), "unexpected end of JSON input") {
		line := 1 + bytes.Count(bytes.TrimRight(data, " \t\r\n"), []byte("\n"))
		return fmt.Errorf("line %d: invalid JSON: the file is truncated", line)
	}
	var se *json.SyntaxError
	if errors.As(err, &se) {
		line := 1 + bytes.Count(data[:min(int(se.Offset), len(data))], []byte("\n"))
		return fmt.Errorf("line %d: invalid JSON: %s", line, se.Error())
	}
	return fmt.Errorf("invalid Pulumi state: %v", sanitize(err))
}

// sanitize keeps json errors from quoting input text.
func sanitize(err error) string {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return fmt.Sprintf("field %q has the wrong type (%s, want %s)", te.Field, te.Value, te.Type)
	}
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return "invalid JSON at byte " + fmt.Sprint(se.Offset)
	}
	if strings.Contains(err.Error(), "unexpected end of JSON input") || errors.Is(err, io.ErrUnexpectedEOF) {
		return "the file is truncated"
	}
	return "malformed content"
}

func readState(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("cannot read: %s", safefile.Reason(err))
	}
	defer f.Close()
	var r io.Reader = f
	if strings.HasSuffix(strings.ToLower(path), ".gz") {
		zr, err := newGzipReader(f)
		if err != nil {
			return nil, fmt.Errorf("cannot decompress: %v", err)
		}
		defer zr.Close()
		r = zr
	}
	data, err := io.ReadAll(io.LimitReader(r, MaxStateSize+1))
	if err != nil {
		return nil, fmt.Errorf("cannot read: %s", safefile.Reason(err))
	}
	if len(data) > MaxStateSize {
		return nil, fmt.Errorf("state is larger than the %d MiB limit", MaxStateSize>>20)
	}
	return data, nil
}

// RelName names a file relative to the working directory when it is below
// it, so reports do not depend on where the repository is checked out.
func RelName(p string) string {
	wd, _ := os.Getwd()
	return relpath.Name(wd, p)
}
