package main

import (
	"bytes"
	"context"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/kscan-io/kscan/enrich"
	"github.com/kscan-io/kscan/graph/export"
)

func newGraphCmd() *cobra.Command {
	f := &scanFlags{}
	var format, output string
	var opts export.Options
	cmd := &cobra.Command{
		Use:   "graph [PATH|-]...",
		Short: "Export the scanned graph, or a neighbourhood of it, as JSON, DOT, GraphML or Mermaid",
		Long: `Read the inputs kscan scan reads (the same flags), build the graph with every
edge kscan derives (Service → workloads, Ingress → Service, workload →
ServiceAccount → IAM role, binding → role and subjects, workload → image →
repository, Pulumi resource → live object…) and write it:

  json     kscan's schema (docs/graph.schema.json): nodes and edges
  dot      Graphviz (dot -Tsvg graph.dot > graph.svg)
  graphml  GraphML for Gephi, yEd, networkx
  mermaid  a Mermaid flowchart for Markdown

A node is its key, public id, type, source and a short label: objects are not
written, so neither are Secret values nor environment variables.

--from NODE (a key or public id; repeatable) keeps the nodes at most --depth
edges away from it, in either direction; --type and --namespace keep only
nodes of those types (k8s:apps/Deployment or just Deployment) or namespaces.`,
		Example: `  kscan graph --format dot k8s/ | dot -Tsvg > graph.svg
  kscan graph --from shop/Deployment/web --depth 2 --format mermaid k8s/
  kscan graph --kubeconfig ~/.kube/config --namespace shop --format graphml -o shop.graphml
  kscan graph --type Deployment --type Service --type Ingress --format json k8s/ | jq '.edges[]'`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if _, err := applyConfig(cmd); err != nil {
				return err
			}
			valid := false
			for _, x := range export.Formats {
				valid = valid || x == format
			}
			if !valid {
				return fmt.Errorf("--format %q: want one of %s", format, strings.Join(export.Formats, ", "))
			}
			if opts.Depth < 0 {
				return fmt.Errorf("--depth %d: want 0 or more", opts.Depth)
			}
			ctx, cancel := context.WithTimeout(cmd.Context(), f.timeout)
			defer cancel()
			g, err := collectGraph(ctx, f, args, cmd.InOrStdin())
			if err != nil {
				return err
			}
			g.MergeFileDuplicates()
			enrich.Graph(ctx, g, enrich.Options{PSSVersion: f.src.ci.pssVersion}) // the derived edges
			incomplete := reportInputErrors(cmd.ErrOrStderr(), g, f.quiet)
			sel, err := export.Select(g, opts)
			if err != nil {
				return err
			}
			var buf bytes.Buffer
			if err := export.Write(&buf, format, sel); err != nil {
				return err
			}
			if output != "" {
				err = writeOutput(output, buf.Bytes())
			} else {
				_, err = cmd.OutOrStdout().Write(buf.Bytes())
			}
			if err != nil {
				return err
			}
			if incomplete {
				return exitError{2}
			}
			return nil
		},
	}
	fl := cmd.Flags()
	fl.StringVarP(&format, "format", "f", "json", "output format: "+strings.Join(export.Formats, ", "))
	fl.StringVarP(&output, "output", "o", "", "write to this file instead of stdout")
	fl.StringArrayVar(&opts.From, "from", nil, "only the neighbourhood of this node (key or public id); repeatable")
	fl.IntVar(&opts.Depth, "depth", 1, "with --from: how many edges away, in either direction")
	fl.StringArrayVar(&opts.Types, "type", nil, "only nodes of this type (k8s:apps/Deployment or Deployment); repeatable")
	fl.StringArrayVarP(&opts.Namespaces, "namespace", "n", nil, "only Kubernetes nodes in this namespace; repeatable")
	fl.BoolVarP(&f.quiet, "quiet", "q", false, "print only errors")
	addInputFlags(cmd, f)
	return cmd
}
