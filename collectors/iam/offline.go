package iam

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/kscan-io/kscan/graph"
	"github.com/kscan-io/kscan/internal/safefile"
)

// Handler claims, by content, the JSON of `aws iam
// get-account-authorization-details`, of `aws iam get-credential-report`,
// of `aws eks
// list-pod-identity-associations` / `describe-pod-identity-association`
// and of `aws eks describe-cluster`. It implements manifest.ContentHandler.
type Handler struct{}

// Name is used in messages.
func (Handler) Name() string { return "iam" }

// The lists of an authorization-details document and the node type of their
// entries.
var detailLists = map[string]string{
	"UserDetailList":  TypeUser,
	"GroupDetailList": TypeGroup,
	"RoleDetailList":  TypeRole,
	"Policies":        TypePolicy,
}

type format int

const (
	formatNone format = iota
	formatAuthDetails
	formatPodIdentity
	formatEKSCluster
	formatCredentialReport
)

func sniff(data []byte) format {
	t := bytes.TrimSpace(data)
	if len(t) == 0 || t[0] != '{' {
		return formatNone
	}
	for k := range detailLists {
		if k != "Policies" && bytes.Contains(data, []byte(`"`+k+`"`)) {
			return formatAuthDetails
		}
	}
	if bytes.Contains(data, []byte(`"associationArn"`)) && bytes.Contains(data, []byte(`"serviceAccount"`)) {
		return formatPodIdentity
	}
	if bytes.Contains(data, []byte(`"cluster"`)) && bytes.Contains(data, []byte(`"arn:aws:eks:`)) && bytes.Contains(data, []byte(`"oidc"`)) {
		return formatEKSCluster
	}
	if bytes.Contains(data, []byte(`"ReportFormat"`)) && bytes.Contains(data, []byte(`"Content"`)) {
		return formatCredentialReport
	}
	return formatNone
}

// Match sniffs the file: a JSON object with an authorization-details list,
// pod identity associations or an EKS cluster description.
func (Handler) Match(_ string, data []byte) bool { return sniff(data) != formatNone }

// Collect parses data into g. Problems are recorded in g as input errors
// naming the file and line (and the principal when one is known); entries
// before and after a bad one are still collected.
func (Handler) Collect(ctx context.Context, path string, data []byte, g *graph.Graph) error {
	switch sniff(data) {
	case formatAuthDetails:
		collectAuthDetails(path, data, g)
	case formatPodIdentity:
		collectPodIdentity(path, data, g)
	case formatEKSCluster:
		collectEKSCluster(path, data, g)
	case formatCredentialReport:
		collectCredentialReportFile(path, data, g)
	default:
		return errors.New("not an IAM authorization-details, pod identity or EKS cluster document")
	}
	return ctx.Err()
}

// FileOptions are the files of --iam-file.
type FileOptions struct {
	Paths []string
	// MaxFileSize bounds each file (--max-file-size).
	MaxFileSize int64
}

// CollectFiles reads every file of opts (CollectFile, named by its path);
// problems are input errors naming the file, the error returned is only
// for cancellation.
func CollectFiles(ctx context.Context, opts FileOptions, g *graph.Graph) error {
	for _, p := range opts.Paths {
		CollectFile(ctx, p, filepath.ToSlash(p), opts.MaxFileSize, g)
	}
	return ctx.Err()
}

// CollectFile reads one file given with --iam-file.
func CollectFile(ctx context.Context, path, name string, maxSize int64, g *graph.Graph) {
	src := graph.Source{Kind: graph.SourceFile, File: name}
	f, err := os.Open(path)
	if err != nil {
		g.AddError(graph.InputError{Source: src, Message: "cannot read: " + safefile.Reason(err)})
		return
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxSize+1))
	if err != nil {
		g.AddError(graph.InputError{Source: src, Message: "cannot read: " + safefile.Reason(err)})
		return
	}
	if int64(len(data)) > maxSize {
		g.AddError(graph.InputError{Source: src, Message: fmt.Sprintf("file is larger than the %d MiB limit (--max-file-size)", maxSize>>20)})
		return
	}
	if sniff(data) == formatNone {
		g.AddError(graph.InputError{Source: src, Message: "--iam-file: not the JSON of `aws iam get-account-authorization-details` (no UserDetailList, GroupDetailList or RoleDetailList), of pod identity associations or of an EKS cluster"})
		return
	}
	_ = Handler{}.Collect(ctx, name, data, g)
}

// lineAt is the 1-based line of a byte offset.
func lineAt(data []byte, off int64) int {
	if off > int64(len(data)) {
		off = int64(len(data))
	}
	return bytes.Count(data[:off], []byte("\n")) + 1
}

// lineCounter gives lines of increasing offsets in linear time overall.
type lineCounter struct {
	data []byte
	off  int64
	line int
}

func (c *lineCounter) at(off int64) int {
	if off > int64(len(c.data)) {
		off = int64(len(c.data))
	}
	if off < c.off {
		return lineAt(c.data, off)
	}
	c.line += bytes.Count(c.data[c.off:off], []byte("\n"))
	c.off = off
	return c.line
}

// nextValue skips whitespace and a separating comma after off, so that the
// line of the next value (not of the previous one's end) is reported.
func nextValue(data []byte, off int64) int64 {
	for off < int64(len(data)) {
		switch data[off] {
		case ' ', '\t', '\r', '\n', ',', ':':
			off++
			continue
		}
		break
	}
	return off
}

// syntaxError turns a JSON decoding error into a message and the line it
// happened on.
func syntaxError(data []byte, dec *json.Decoder, err error) (string, int) {
	var se *json.SyntaxError
	switch {
	case errors.As(err, &se):
		return "invalid JSON: " + se.Error(), lineAt(data, se.Offset)
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return "invalid JSON: unexpected end of file (truncated?)", lineAt(data, int64(len(data)))
	}
	return "invalid JSON: " + err.Error(), lineAt(data, dec.InputOffset())
}

// collectAuthDetails streams the document so that each entry's line is
// known and a damaged file still yields every entry before the damage.
func collectAuthDetails(path string, data []byte, g *graph.Graph) {
	src := graph.Source{Kind: graph.SourceFile, File: path}
	fail := func(dec *json.Decoder, err error) {
		msg, line := syntaxError(data, dec, err)
		s := src
		s.Line = line
		g.AddError(graph.InputError{Source: s, Message: "authorization details: " + msg})
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	lines := &lineCounter{data: data, line: 1}
	if _, err := dec.Token(); err != nil { // '{'
		fail(dec, err)
		return
	}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			fail(dec, err)
			return
		}
		key, _ := tok.(string)
		typ, isList := detailLists[key]
		if !isList {
			var skip json.RawMessage
			if err := dec.Decode(&skip); err != nil {
				fail(dec, err)
				return
			}
			continue
		}
		start := nextValue(data, dec.InputOffset())
		tok, err = dec.Token()
		if err != nil {
			fail(dec, err)
			return
		}
		if d, ok := tok.(json.Delim); !ok || d != '[' {
			s := src
			s.Line = lineAt(data, start)
			g.AddError(graph.InputError{Source: s, Message: fmt.Sprintf("authorization details: %s is not a list", key)})
			if d, ok := tok.(json.Delim); ok && d == '{' {
				// Skip the rest of the object to carry on with the next key.
				if err := skipRest(dec); err != nil {
					fail(dec, err)
					return
				}
			}
			continue
		}
		for dec.More() {
			off := nextValue(data, dec.InputOffset())
			var v any
			if err := dec.Decode(&v); err != nil {
				fail(dec, err)
				return
			}
			s := src
			s.Line = lines.at(off)
			e, ok := v.(map[string]any)
			if !ok {
				g.AddError(graph.InputError{Source: s, Message: fmt.Sprintf("authorization details: an entry of %s is not an object", key)})
				continue
			}
			n, err := NewNode(typ, e, s)
			if err != nil {
				g.AddError(graph.InputError{Source: s, Message: fmt.Sprintf("authorization details: %s entry: %v", key, err)})
				continue
			}
			g.AddNode(n)
		}
		if _, err := dec.Token(); err != nil { // ']'
			fail(dec, err)
			return
		}
	}
	if _, err := dec.Token(); err != nil { // '}'
		fail(dec, err)
	}
}

func skipRest(dec *json.Decoder) error {
	depth := 1
	for depth > 0 {
		tok, err := dec.Token()
		if err != nil {
			return err
		}
		if d, ok := tok.(json.Delim); ok {
			switch d {
			case '{', '[':
				depth++
			case '}', ']':
				depth--
			}
		}
	}
	return nil
}

// AssociationNode builds the node of an EKS Pod Identity association from
// the fields the EKS API uses (clusterName, namespace, serviceAccount,
// roleArn, associationArn, associationId).
func AssociationNode(a map[string]any, src graph.Source) (*graph.Node, error) {
	arn, _ := a["associationArn"].(string)
	if arn == "" {
		return nil, errors.New("association has no associationArn")
	}
	o := map[string]any{}
	for _, k := range []string{"associationArn", "associationId", "clusterName", "namespace", "serviceAccount", "roleArn", "targetRoleArn"} {
		if s, ok := a[k].(string); ok && s != "" {
			o[k] = s
		}
	}
	if o["namespace"] == nil || o["serviceAccount"] == nil {
		return nil, fmt.Errorf("association %s has no namespace or serviceAccount", arn)
	}
	return &graph.Node{ID: arn, Type: TypePodIdentityAssociation, Object: o, Source: src}, nil
}

// collectPodIdentity reads {"associations": [...]} (list or a file of
// describe results) or {"association": {...}} (describe).
func collectPodIdentity(path string, data []byte, g *graph.Graph) {
	src := graph.Source{Kind: graph.SourceFile, File: path}
	var doc struct {
		Associations []map[string]any `json:"associations"`
		Association  map[string]any   `json:"association"`
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&doc); err != nil {
		msg, line := syntaxError(data, dec, err)
		s := src
		s.Line = line
		g.AddError(graph.InputError{Source: s, Message: "pod identity associations: " + msg})
		return
	}
	all := doc.Associations
	if doc.Association != nil {
		all = append(all, doc.Association)
	}
	for _, a := range all {
		n, err := AssociationNode(a, src)
		if err != nil {
			g.AddError(graph.InputError{Source: src, Message: "pod identity associations: " + err.Error()})
			continue
		}
		if _, ok := n.Object["roleArn"]; !ok {
			g.AddError(graph.InputError{Level: graph.LevelWarning, Source: src, Resource: n.ID,
				Message: "pod identity association has no roleArn (list-pod-identity-associations omits it; use describe-pod-identity-association output)"})
		}
		g.AddNode(n)
	}
}

// ClusterNode builds the node of an EKS cluster from DescribeCluster's
// cluster object (name, arn, identity.oidc.issuer).
func ClusterNode(c map[string]any, src graph.Source) (*graph.Node, error) {
	arn, _ := c["arn"].(string)
	if arn == "" {
		return nil, errors.New("cluster has no arn")
	}
	o := map[string]any{"arn": arn}
	if s, ok := c["name"].(string); ok {
		o["name"] = s
	}
	if id, ok := c["identity"].(map[string]any); ok {
		if oidc, ok := id["oidc"].(map[string]any); ok {
			if is, ok := oidc["issuer"].(string); ok && is != "" {
				o["identity"] = map[string]any{"oidc": map[string]any{"issuer": is}}
			}
		}
	}
	return &graph.Node{ID: arn, Type: TypeEKSCluster, Object: o, Source: src}, nil
}

func collectEKSCluster(path string, data []byte, g *graph.Graph) {
	src := graph.Source{Kind: graph.SourceFile, File: path}
	var doc struct {
		Cluster map[string]any `json:"cluster"`
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&doc); err != nil {
		msg, line := syntaxError(data, dec, err)
		s := src
		s.Line = line
		g.AddError(graph.InputError{Source: s, Message: "EKS cluster: " + msg})
		return
	}
	n, err := ClusterNode(doc.Cluster, src)
	if err != nil {
		g.AddError(graph.InputError{Source: src, Message: "EKS cluster: " + err.Error()})
		return
	}
	g.AddNode(n)
}

// CredentialReportID is the identity of the node holding an account's
// credential report read from a file.
func CredentialReportID(account string) string {
	return "arn:aws:iam::" + account + ":credential-report"
}

// collectCredentialReportFile reads the JSON of `aws iam
// get-credential-report` ({"Content": base64 CSV, "ReportFormat",
// "GeneratedTime"}) into one aws:iam/CredentialReport node; the enrichers join
// its rows to the users by ARN.
func collectCredentialReportFile(path string, data []byte, g *graph.Graph) {
	src := graph.Source{Kind: graph.SourceFile, File: path}
	var doc struct {
		Content       []byte `json:"Content"`
		ReportFormat  string `json:"ReportFormat"`
		GeneratedTime string `json:"GeneratedTime"`
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&doc); err != nil {
		msg, line := syntaxError(data, dec, err)
		s := src
		s.Line = line
		g.AddError(graph.InputError{Source: s, Message: "credential report: " + msg})
		return
	}
	if doc.ReportFormat != "" && doc.ReportFormat != "text/csv" {
		g.AddError(graph.InputError{Source: src, Message: fmt.Sprintf("credential report: ReportFormat %q, want text/csv", doc.ReportFormat)})
		return
	}
	rows, err := ParseCredentialReport(doc.Content, normDate(doc.GeneratedTime))
	if err != nil {
		g.AddError(graph.InputError{Source: src, Message: "credential report: " + err.Error()})
		return
	}
	byArn := map[string]any{}
	account := ""
	for arn, row := range rows {
		byArn[arn] = row
		if a := strings.SplitN(arn, ":", 6); len(a) == 6 && account == "" {
			account = a[4]
		}
	}
	g.AddNode(&graph.Node{ID: CredentialReportID(account), Type: TypeCredentialReport, Source: src,
		Object: map[string]any{"GeneratedTime": normDate(doc.GeneratedTime), "Users": byArn}})
}
