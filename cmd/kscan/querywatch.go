package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/kscan-io/kscan/collectors/kube"
	"github.com/kscan-io/kscan/enrich"
	"github.com/kscan-io/kscan/graph"
	"github.com/kscan-io/kscan/policies"
	"github.com/kscan-io/kscan/query"
	"github.com/kscan-io/kscan/scan"
)

// watchDebounce gathers the events of one change (a Deployment's
// ReplicaSet and Pods follow it within milliseconds) into one evaluation.
const watchDebounce = 100 * time.Millisecond

// runQueryWatch keeps answering a query against a live cluster: informers
// keep the cluster's objects current, each change (debounced) rebuilds the
// graph from their caches and re-evaluates the whole query, and the rows
// that appeared and disappeared are printed as "+" and "-" lines (or JSON
// lines), until the context ends (SIGINT, SIGTERM).
func runQueryWatch(ctx context.Context, cmd *cobra.Command, f *scanFlags, e *query.Engine, what string, isNamed bool, params map[string]string, format string, paths []string) error {
	return watchRows(ctx, cmd, f, format, paths, func(g *graph.Graph) (*query.Result, error) {
		redactSecrets(g)
		in, err := scan.Input(ctx, g, enrich.Options{PSSVersion: f.src.ci.pssVersion}, nil)
		if err != nil {
			return nil, err
		}
		if isNamed {
			return e.RunNamed(ctx, in, what, params)
		}
		return e.Run(ctx, in, what, params)
	})
}

// watchRows is the loop of every --watch: informers keep one cluster
// current; after each change (debounced) answer turns a new graph into rows,
// and the rows that appeared and disappeared are printed.
func watchRows(ctx context.Context, cmd *cobra.Command, f *scanFlags, format string, paths []string, answer func(g *graph.Graph) (*query.Result, error)) error {
	k := &f.src.kube
	if !k.enabled() {
		return fmt.Errorf("--watch needs a live cluster: --kubeconfig, --context or --in-cluster")
	}
	if len(paths) > 0 {
		return fmt.Errorf("--watch answers about a live cluster only; it takes no paths")
	}
	if format != "table" && format != "json" {
		return fmt.Errorf("--watch prints + and - lines (--format table) or JSON lines (--format json), not %s", format)
	}
	clusters, err := kube.LoadClusters(kube.ConfigOptions{
		Kubeconfig: k.kubeconfig, Context: k.context, AllContexts: k.allContexts,
		InCluster: k.inCluster, ClusterName: k.clusterName,
	})
	if err != nil {
		return err
	}
	stderr := cmd.ErrOrStderr()
	changes := make(chan struct{}, 1)
	notify := func() {
		select {
		case changes <- struct{}{}:
		default: // an evaluation is already due
		}
	}
	w, err := kube.Watch(ctx, kube.WatchOptions{
		Options: kube.Options{Clusters: clusters, QPS: k.qps, Burst: k.burst, RequestTimeout: k.requestTimeout,
			SkipSecrets: k.skipSecrets, UserAgent: "kscan/" + version},
		Resync: f.watchResync,
		Warn: func(msg string) {
			if !f.quiet {
				fmt.Fprintln(stderr, msg)
			}
		},
	}, notify)
	if err != nil {
		return err
	}
	out := cmd.OutOrStdout()
	prev := map[string]map[string]any{}
	var columns []string
	debug := os.Getenv("KSCAN_DEBUG_TIMINGS") != ""
	evaluate := func() error {
		start := time.Now()
		g := w.Graph()
		built := time.Since(start)
		res, err := answer(g)
		if err != nil {
			return err
		}
		if debug {
			fmt.Fprintf(stderr, "kscan: watch update: graph %v, facts and evaluation %v, %d objects\n", built.Round(time.Millisecond), (time.Since(start) - built).Round(time.Millisecond), g.Len())
		}
		if columns == nil {
			columns = res.Columns
		}
		cur := make(map[string]map[string]any, len(res.Rows))
		for _, r := range res.Rows {
			b, _ := json.Marshal(r) // map keys sorted: one row, one string
			cur[string(b)] = r
		}
		now := time.Now().UTC()
		if err := printDiff(out, format, now, columns, diffKeys(cur, prev), "-", prev); err != nil {
			return err
		}
		if err := printDiff(out, format, now, columns, diffKeys(prev, cur), "+", cur); err != nil {
			return err
		}
		prev = cur
		return nil
	}
	if err := evaluate(); err != nil {
		return err
	}
	for {
		select {
		case <-ctx.Done():
			return nil // SIGINT: a clean end
		case <-changes:
		}
		select { // let the rest of this change arrive
		case <-ctx.Done():
			return nil
		case <-time.After(watchDebounce):
		}
		select {
		case <-changes:
		default:
		}
		if err := evaluate(); err != nil {
			if ctx.Err() != nil {
				return nil
			}
			fmt.Fprintf(stderr, "error: %v\n", err)
		}
	}
}

// diffKeys lists the keys of b missing from a, sorted.
func diffKeys(a, b map[string]map[string]any) []string {
	var out []string
	for k := range b {
		if _, ok := a[k]; !ok {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}

func printDiff(w io.Writer, format string, now time.Time, columns, keys []string, op string, rows map[string]map[string]any) error {
	ts := now.Format(time.RFC3339Nano)
	for _, k := range keys {
		var line string
		if format == "json" {
			b, err := json.Marshal(map[string]any{"op": op, "time": ts, "row": rows[k]})
			if err != nil {
				return err
			}
			line = string(b)
		} else {
			r := &query.Result{Columns: columns}
			cells := r.Cells(rows[k])
			parts := make([]string, len(cells))
			for i, c := range cells {
				parts[i] = columns[i] + "=" + c
			}
			line = op + " " + ts + " " + strings.Join(parts, " ")
		}
		if _, err := fmt.Fprintln(w, line); err != nil {
			return err
		}
	}
	return nil
}

// runScanWatch is kscan scan --watch: the selected rules re-evaluated on
// every change of a live cluster, findings printed as they appear (+) and
// are fixed (-). Suppressions, baselines and reports are not applied.
func runScanWatch(cmd *cobra.Command, f *scanFlags, engine *policies.Engine, paths []string) error {
	rules, err := scan.SelectRules(engine.Rules(), f.rules, f.skipRules, f.severities)
	if err != nil {
		return err
	}
	ctx := cmd.Context()
	columns := []string{"severity", "rule", "resource", "message", "location"}
	return watchRows(ctx, cmd, f, f.format, paths, func(g *graph.Graph) (*query.Result, error) {
		rep, err := scan.EvaluateWith(ctx, engine, g, rules, enrich.Options{PSSVersion: f.src.ci.pssVersion})
		if err != nil {
			return nil, err
		}
		res := &query.Result{Columns: columns}
		for _, fd := range rep.Findings {
			res.Rows = append(res.Rows, map[string]any{
				"severity": fd.Severity, "rule": fd.RuleID, "resource": fd.Resource,
				"message": fd.Message, "location": fd.Location.String(), "fingerprint": fd.Fingerprint,
			})
		}
		return res, nil
	})
}
