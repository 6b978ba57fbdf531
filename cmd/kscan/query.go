package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/kscan-io/kscan/enrich"
	"github.com/kscan-io/kscan/graph"
	"github.com/kscan-io/kscan/internal/termsafe"
	"github.com/kscan-io/kscan/policies"
	"github.com/kscan-io/kscan/query"
	"github.com/kscan-io/kscan/scan"
	"github.com/kscan-io/kscan/snapshot"
)

const queryExamples = `  # Which Pods are exposed to the Internet via a load-balanced Service?
  kscan query exposed-workloads --param via=loadbalancer k8s/

  # How many distinct versions of MySQL run here?
  kscan query image-versions --param name=mysql --format count --kubeconfig ~/.kube/config

  # Who can read Secrets in payments?
  kscan query who-can-read-secrets --param namespace=payments k8s/

  # The named queries, their parameters and what they need
  kscan query --list

  # Your own question, in Rego over the query model (docs/query.md)
  kscan query 'some w in kscan.workloads; kscan.exposed(w); workload := w.id' k8s/
  kscan query '[{"pod": w.id, "image": c.image} | some w in kscan.workloads; some c in kscan.containers(w)]' --format csv k8s/

  # Keep answering as the cluster changes (+ and - lines; Ctrl-C ends);
  # KSCAN_DEBUG_TIMINGS=1 shows whether each update was incremental or full
  kscan query exposed-workloads --watch --kubeconfig ~/.kube/config`

// queryName tells a named query from an expression on the command line.
var queryName = regexp.MustCompile(`^[a-z][a-z0-9]*(-[a-z0-9]+)+$`)

func newQueryCmd() *cobra.Command {
	f := &scanFlags{}
	var format, output string
	var params, queryDirs []string
	var list bool
	cmd := &cobra.Command{
		Use:   "query (NAME|EXPR) [PATH|-]...",
		Short: "Ask the scanned graph a question: a named query or a Rego expression",
		Long: `Read the inputs kscan scan reads (manifests, charts, kustomizations, live
clusters, IAM, registries, Pulumi state, snapshots: the same flags), build the
same graph and facts rules see, and answer a question about it.

NAME is a named query shipped with kscan (kscan query --list) or found in
--query-dir; --param NAME=VALUE sets its parameters. Anything else is a Rego
query over the query model (docs/query.md) with data.kscan imported as kscan:
its variables become the columns, or, when it binds none, the elements of
its value become the rows. Answers are one row per container or object,
never merged. Queries run in the rules' sandbox (no network builtins) and
within --query-timeout. Secret values are redacted from the model.

Exit codes: 0 answered; 2 an input could not be read (the answer is then
about the rest) or the query could not be run. See docs/query.md.`,
		Example: queryExamples,
		RunE: func(cmd *cobra.Command, args []string) error {
			if _, err := applyConfig(cmd); err != nil {
				return err
			}
			return runQuery(cmd, f, queryRun{format: format, output: output, params: params, queryDirs: queryDirs, list: list, watch: f.watch}, args)
		},
	}
	fl := cmd.Flags()
	fl.StringVarP(&format, "format", "f", "table", "output format: "+strings.Join(query.Formats, ", "))
	fl.StringVarP(&output, "output", "o", "", "write the answer to this file instead of stdout")
	fl.StringArrayVar(&params, "param", nil, "NAME=VALUE parameter of the query; repeatable")
	fl.StringArrayVar(&queryDirs, "query-dir", nil, "directory (or file) of your own named queries; repeatable")
	fl.BoolVar(&list, "list", false, "list the named queries and their parameters")
	fl.BoolVar(&f.watch, "watch", false, "keep answering against a live cluster: print rows as they appear (+) and disappear (-) until interrupted; a named query declaring custom.watch is re-evaluated only in the namespaces a change touches, anything else over the whole cluster (docs/query.md)")
	fl.DurationVar(&f.watchResync, "watch-resync", 10*time.Minute, "with --watch: re-deliver every object at this interval (0: never)")
	fl.DurationVar(&f.queryTimeout, "query-timeout", policies.DefaultTimeout, "bound on evaluating the query")
	fl.StringVarP(&f.namespace, "namespace", "n", "", "namespace for objects that have none (default \"default\")")
	fl.BoolVarP(&f.quiet, "quiet", "q", false, "print only the answer and errors; no warnings")
	addInputFlags(cmd, f)
	return cmd
}

type queryRun struct {
	format, output    string
	params, queryDirs []string
	list, watch       bool
}

func runQuery(cmd *cobra.Command, f *scanFlags, r queryRun, args []string) error {
	if !validFormat(r.format) {
		return fmt.Errorf("--format %q: want one of %s", r.format, strings.Join(query.Formats, ", "))
	}
	ctx, cancel := context.WithTimeout(cmd.Context(), f.timeout)
	defer cancel()
	e, err := query.Load(ctx, query.Options{QueryDirs: r.queryDirs, Timeout: f.queryTimeout})
	if err != nil {
		return err
	}
	if r.list {
		return writeQueryList(cmd.OutOrStdout(), r.format, e.Named())
	}
	if len(args) == 0 {
		return fmt.Errorf("give a named query or a Rego expression (kscan query --list shows the named ones)")
	}
	params := map[string]string{}
	for _, p := range r.params {
		k, v, ok := strings.Cut(p, "=")
		if !ok || k == "" {
			return fmt.Errorf("--param %q: want NAME=VALUE", p)
		}
		params[k] = v
	}
	what := args[0]
	named, isNamed := e.Lookup(what)
	if !isNamed && queryName.MatchString(what) {
		return fmt.Errorf("unknown query %q (kscan query --list shows the named queries)", what)
	}
	if r.watch {
		// Not bounded by --timeout: a watch runs until interrupted.
		return runQueryWatch(cmd.Context(), cmd, f, e, what, isNamed, params, r.format, args[1:])
	}
	g, err := collectGraph(ctx, f, args[1:], cmd.InOrStdin())
	if err != nil {
		return err
	}
	g.MergeFileDuplicates()
	redactSecrets(g)
	in, err := scan.Input(ctx, g, enrich.Options{PSSVersion: f.src.ci.pssVersion}, nil)
	if err != nil {
		return fmt.Errorf("building the query model: %w", err)
	}
	incomplete := reportInputErrors(cmd.ErrOrStderr(), g, f.quiet)
	start, cpu, gcs := time.Now(), scan.ProcessCPU(), gcCycles()
	var res *query.Result
	if isNamed {
		res, err = e.RunNamed(ctx, in, what, params)
	} else {
		res, err = e.Run(ctx, in, what, params)
	}
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) && ctx.Err() != nil {
			return fmt.Errorf("the query did not finish within --timeout %s: %w", f.timeout, err)
		}
		return err
	}
	if os.Getenv("KSCAN_DEBUG_TIMINGS") != "" {
		// CPU beside wall time (the machine may be shared) and the garbage
		// collections that fell inside the query: each marks the whole
		// input.
		fmt.Fprintf(cmd.ErrOrStderr(), "kscan: %-12s %v (cpu %v, %d gc)\n", "query", time.Since(start).Round(time.Millisecond),
			(scan.ProcessCPU() - cpu).Round(time.Millisecond), gcCycles()-gcs)
	}
	if isNamed && len(res.Rows) == 0 && named.Limits != "" && !f.quiet {
		fmt.Fprintf(cmd.ErrOrStderr(), "note: %s %s\n", named.Name, named.Limits)
	}
	if r.output != "" {
		var buf bytes.Buffer
		if err := query.Write(&buf, r.format, res); err != nil {
			return err
		}
		if err := writeOutput(r.output, buf.Bytes()); err != nil {
			return err
		}
	} else if err := query.Write(cmd.OutOrStdout(), r.format, res); err != nil {
		return err
	}
	if incomplete {
		return exitError{2}
	}
	return nil
}

func validFormat(f string) bool {
	for _, x := range query.Formats {
		if f == x {
			return true
		}
	}
	return false
}

// redactSecrets empties Secret values in the graph before anything shows
// it: a query answers with what is in the model.
func redactSecrets(g *graph.Graph) {
	for _, n := range g.Nodes() {
		if r := snapshot.Redact(n); r != n {
			n.Object = r.Object
		}
	}
}

func writeQueryList(w io.Writer, format string, qs []query.Named) error {
	if format == "json" {
		if qs == nil {
			qs = []query.Named{}
		}
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(qs)
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tPARAMETERS\tTITLE")
	for _, q := range qs {
		var ps []string
		for _, p := range q.Params {
			s := p.Name
			if p.Default != nil && fmt.Sprint(p.Default) != "" {
				s += fmt.Sprintf("=%v", p.Default)
			}
			ps = append(ps, s)
		}
		sort.Strings(ps)
		title := q.Title
		if q.Custom {
			title += " (" + q.File + ")"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\n", q.Name, strings.Join(ps, " "), termsafe.String(title))
	}
	return tw.Flush()
}
