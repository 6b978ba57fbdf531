package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"

	"github.com/kscan-io/kscan/collectors/manifest"
	"github.com/kscan-io/kscan/enrich"
	"github.com/kscan-io/kscan/graph"
	"github.com/kscan-io/kscan/scan"
	"github.com/kscan-io/kscan/snapshot"
)

// addInputFlags gives a command the flags of kscan scan that say what to
// read (every registered source, plus the manifest limits), so who-can,
// access and snapshot read inputs exactly as scan does.
func addInputFlags(cmd *cobra.Command, f *scanFlags) {
	fl := cmd.Flags()
	fl.Int64Var(&f.maxFileSize, "max-file-size", manifest.DefaultMaxFileSize, "largest input file in bytes (1 to 1073741824)")
	addSkipFlags(fl, f)
	fl.DurationVar(&f.timeout, "timeout", 10*time.Minute, "bound on the whole command")
	for _, s := range f.sources() {
		s.addFlags(fl)
	}
}

// collectGraph runs the collectors kscan scan would run for these paths and
// flags, and returns the graph before any rule or derivation.
func collectGraph(ctx context.Context, f *scanFlags, paths []string, stdin io.Reader) (*graph.Graph, error) {
	if err := f.validateLimits(); err != nil {
		return nil, err
	}
	collectors, err := f.collectors(ctx, paths, stdin)
	if err != nil {
		return nil, err
	}
	if len(collectors) == 0 {
		return nil, fmt.Errorf("nothing to read: give a path (or - for stdin) or a source flag (--kubeconfig, --pulumi-state…)")
	}
	return scan.Collect(ctx, collectors)
}

// reportInputErrors prints the graph's input problems to stderr and says
// whether the inputs were incomplete (exit code 2).
func reportInputErrors(w io.Writer, g *graph.Graph, quiet bool) bool {
	for _, e := range g.Errors() {
		if e.Level == graph.LevelError || !quiet {
			fmt.Fprintf(w, "%s: %s\n", e.Level, e.Error())
		}
	}
	return g.Incomplete()
}

// linkForSnapshot adds to g the edges kscan derives (Service → workloads,
// binding → role, workload → ServiceAccount…) between the nodes g already
// has, so a snapshot can be followed with jq. They are derived on a clone:
// the nodes derivation adds (subjects, built-in roles, image nodes) and the
// attrs enrichers set stay out of the snapshot, which a later scan derives
// again; edges to those nodes are left out with them.
func linkForSnapshot(ctx context.Context, g *graph.Graph) {
	linked := g.Clone()
	enrich.Graph(ctx, linked, enrich.Options{})
	for _, e := range linked.Edges() {
		from, ok1 := g.Node(e.From)
		to, ok2 := g.Node(e.To)
		if ok1 && ok2 && from.Source.Kind != graph.SourceDerived && to.Source.Kind != graph.SourceDerived {
			g.AddEdge(e.From, e.To, e.Type)
		}
	}
}

func newSnapshotCmd() *cobra.Command {
	f := &scanFlags{}
	var output string
	cmd := &cobra.Command{
		Use:   "snapshot [PATH|-]... --output FILE",
		Short: "Write the scanned graph (every source) to a snapshot file",
		Long: `Read the inputs kscan scan would read (manifests, a live cluster, Pulumi
state and the other sources given by flags) and write the resulting graph as
one versioned, gzip-compressed file. A later "kscan scan --baseline FILE"
compares with it: findings are marked new or unchanged, and rbac/drift
reports how effective RBAC permissions changed since. Secret values are
never written.`,
		Example: `  # Snapshot a live cluster, then report what changed a day later
  kscan snapshot --kubeconfig ~/.kube/config --output prod.kscan.gz
  kscan scan --kubeconfig ~/.kube/config --baseline prod.kscan.gz`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if _, err := applyConfig(cmd); err != nil {
				return err
			}
			if output == "" {
				return fmt.Errorf("--output is required")
			}
			ctx, cancel := context.WithTimeout(cmd.Context(), f.timeout)
			defer cancel()
			g, err := collectGraph(ctx, f, args, cmd.InOrStdin())
			if err != nil {
				return err
			}
			linkForSnapshot(ctx, g)
			var buf bytes.Buffer
			if err := snapshot.WriteWith(&buf, g, snapshot.Options{ToolVersion: version}); err != nil {
				return err
			}
			if err := writeOutput(output, buf.Bytes()); err != nil {
				return err
			}
			incomplete := reportInputErrors(cmd.ErrOrStderr(), g, f.quiet)
			if !f.quiet {
				fmt.Fprintf(cmd.ErrOrStderr(), "wrote %s: %d nodes, %d bytes\n", output, g.Len(), buf.Len())
			}
			if incomplete {
				return exitError{2}
			}
			return nil
		},
	}
	cmd.Flags().StringVarP(&output, "output", "o", "", "snapshot file to write")
	cmd.Flags().StringVarP(&f.namespace, "namespace", "n", "", "namespace for objects that have none (default \"default\")")
	cmd.Flags().BoolVarP(&f.quiet, "quiet", "q", false, "print only errors")
	addInputFlags(cmd, f)
	return cmd
}
