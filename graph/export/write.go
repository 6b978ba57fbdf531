package export

import (
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"strings"
)

// Write renders g in one of Formats.
func Write(w io.Writer, format string, g *Graph) error {
	switch format {
	case "json":
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false)
		return enc.Encode(g)
	case "dot":
		return writeDOT(w, g)
	case "graphml":
		return writeGraphML(w, g)
	case "mermaid":
		return writeMermaid(w, g)
	}
	return fmt.Errorf("--format %q: want one of %s", format, strings.Join(Formats, ", "))
}

// dotString quotes s as a DOT string: backslashes and quotes escaped,
// newlines as \n.
func dotString(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`, "\r", "")
	return `"` + r.Replace(s) + `"`
}

func writeDOT(w io.Writer, g *Graph) error {
	var b strings.Builder
	b.WriteString("digraph kscan {\n\trankdir=LR;\n\tnode [shape=box, fontname=\"Helvetica\", fontsize=10];\n\tedge [fontname=\"Helvetica\", fontsize=9];\n")
	for _, n := range sortedNodes(g) {
		fmt.Fprintf(&b, "\t%s [label=%s, tooltip=%s];\n", dotString(n.Key), dotString(n.Label), dotString(n.Type+"\n"+n.Source))
	}
	for _, e := range g.Edges {
		fmt.Fprintf(&b, "\t%s -> %s [label=%s];\n", dotString(e.From), dotString(e.To), dotString(e.Type))
	}
	b.WriteString("}\n")
	_, err := io.WriteString(w, b.String())
	return err
}

// GraphML (http://graphml.graphdrawing.org/): node ids are n0, n1… (GraphML
// ids are XML name tokens, which keys with slashes are not); the key, id,
// type, label, namespace and source are data attributes.
type graphML struct {
	XMLName        xml.Name     `xml:"graphml"`
	Xmlns          string       `xml:"xmlns,attr"`
	XmlnsXSI       string       `xml:"xmlns:xsi,attr"`
	SchemaLocation string       `xml:"xsi:schemaLocation,attr"`
	Keys           []graphMLKey `xml:"key"`
	Graph          graphMLGraph `xml:"graph"`
}

type graphMLKey struct {
	ID   string `xml:"id,attr"`
	For  string `xml:"for,attr"`
	Name string `xml:"attr.name,attr"`
	Type string `xml:"attr.type,attr"`
}

type graphMLGraph struct {
	ID          string        `xml:"id,attr"`
	EdgeDefault string        `xml:"edgedefault,attr"`
	Nodes       []graphMLNode `xml:"node"`
	Edges       []graphMLEdge `xml:"edge"`
}

type graphMLNode struct {
	ID   string        `xml:"id,attr"`
	Data []graphMLData `xml:"data"`
}

type graphMLEdge struct {
	ID     string        `xml:"id,attr"`
	Source string        `xml:"source,attr"`
	Target string        `xml:"target,attr"`
	Data   []graphMLData `xml:"data"`
}

type graphMLData struct {
	Key   string `xml:"key,attr"`
	Value string `xml:",chardata"`
}

var nodeAttrs = []string{"label", "key", "id", "type", "namespace", "source"}

func writeGraphML(w io.Writer, g *Graph) error {
	doc := graphML{
		Xmlns:          "http://graphml.graphdrawing.org/xmlns",
		XmlnsXSI:       "http://www.w3.org/2001/XMLSchema-instance",
		SchemaLocation: "http://graphml.graphdrawing.org/xmlns http://graphml.graphdrawing.org/xmlns/1.0/graphml.xsd",
		Graph:          graphMLGraph{ID: "kscan", EdgeDefault: "directed"},
	}
	for _, a := range nodeAttrs {
		doc.Keys = append(doc.Keys, graphMLKey{ID: a, For: "node", Name: a, Type: "string"})
	}
	doc.Keys = append(doc.Keys, graphMLKey{ID: "edge_type", For: "edge", Name: "type", Type: "string"})
	ids := map[string]string{}
	for i, n := range sortedNodes(g) {
		id := fmt.Sprintf("n%d", i)
		ids[n.Key] = id
		vals := map[string]string{"label": n.Label, "key": n.Key, "id": n.ID, "type": n.Type, "namespace": n.Namespace, "source": n.Source}
		node := graphMLNode{ID: id}
		for _, a := range nodeAttrs {
			if vals[a] != "" {
				node.Data = append(node.Data, graphMLData{Key: a, Value: xmlSafe(vals[a])})
			}
		}
		doc.Graph.Nodes = append(doc.Graph.Nodes, node)
	}
	for i, e := range g.Edges {
		doc.Graph.Edges = append(doc.Graph.Edges, graphMLEdge{ID: fmt.Sprintf("e%d", i), Source: ids[e.From], Target: ids[e.To],
			Data: []graphMLData{{Key: "edge_type", Value: e.Type}}})
	}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}

// xmlSafe drops characters XML 1.0 cannot carry at all (control
// characters other than tab and newlines); encoding/xml escapes the rest.
func xmlSafe(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '\t' || r == '\n' || r == '\r' || (r >= 0x20 && r != 0xFFFE && r != 0xFFFF) {
			return r
		}
		return -1
	}, s)
}

// mermaidText escapes a label for a quoted Mermaid string.
func mermaidText(s string) string {
	r := strings.NewReplacer(`"`, "#quot;", "\n", " ", "<", "#lt;", ">", "#gt;", "|", "#124;")
	return r.Replace(s)
}

func writeMermaid(w io.Writer, g *Graph) error {
	var b strings.Builder
	b.WriteString("flowchart LR\n")
	ids := map[string]string{}
	for i, n := range sortedNodes(g) {
		id := fmt.Sprintf("n%d", i)
		ids[n.Key] = id
		fmt.Fprintf(&b, "  %s[\"%s\"]\n", id, mermaidText(n.Label))
	}
	for _, e := range g.Edges {
		fmt.Fprintf(&b, "  %s -->|%s| %s\n", ids[e.From], mermaidText(e.Type), ids[e.To])
	}
	_, err := io.WriteString(w, b.String())
	return err
}
