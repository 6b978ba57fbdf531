package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/kscan-io/kscan/collectors/kube"
	"github.com/kscan-io/kscan/enrich"
	"github.com/kscan-io/kscan/internal/incremental"
	"github.com/kscan-io/kscan/policies"
	"github.com/kscan-io/kscan/query"
	"github.com/kscan-io/kscan/scan"
)

// watchDebounce gathers the events of one change (a Deployment's
// ReplicaSet and Pods follow it within milliseconds) into one evaluation.
const watchDebounce = 100 * time.Millisecond

// runQueryWatch keeps answering a query against a live cluster: informers
// keep the cluster's objects current and each change (debounced) is
// re-evaluated, for a named query declaring custom.watch only in the
// namespaces it touched (internal/incremental), else over the whole cluster;
// the rows that appeared and disappeared are printed as "+" and "-" lines
// (or JSON lines), until the context ends (SIGINT, SIGTERM).
func runQueryWatch(ctx context.Context, cmd *cobra.Command, f *scanFlags, e *query.Engine, what string, isNamed bool, params map[string]string, format string, paths []string) error {
	o := incremental.QueryOptions{Expr: what, Params: params, Enrich: enrich.Options{PSSVersion: f.src.ci.pssVersion}, Prepare: redactSecrets}
	if isNamed {
		o.Name, o.Expr = what, ""
	}
	var columns []string
	o.Columns = func(c []string) { columns = c }
	spec, err := incremental.Query(e, o)
	if err != nil {
		return err
	}
	return watchRows(ctx, cmd, f, format, paths, spec, func() []string { return columns })
}

// watchRows is the loop of every --watch: informers keep one cluster
// current; after each change (debounced) the evaluator re-evaluates what
// the changes touched, and the rows that appeared and disappeared are
// printed with the columns of the first answer.
func watchRows(ctx context.Context, cmd *cobra.Command, f *scanFlags, format string, paths []string, spec incremental.Spec, columns func() []string) error {
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
	// The changes since the last evaluation; wake says one is due. Both
	// are bounded: changes holds at most one entry per namespace and type.
	var mu sync.Mutex
	pending := map[kube.Change]bool{}
	wake := make(chan struct{}, 1)
	notify := func(c kube.Change) {
		mu.Lock()
		pending[c] = true
		mu.Unlock()
		select {
		case wake <- struct{}{}:
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
	if spec.Why != "" && !f.quiet {
		fmt.Fprintf(stderr, "kscan: every change re-evaluates the whole cluster: %s (docs/query.md)\n", spec.Why)
	}
	ev := incremental.New(w, spec)
	debug := os.Getenv("KSCAN_DEBUG_TIMINGS") != ""
	show := func(u *incremental.Update) error {
		if debug {
			how := fmt.Sprintf("incremental, %d namespaces", u.Namespaces)
			if u.Full {
				how = "full: " + u.Reason
			}
			fmt.Fprintf(stderr, "kscan: watch update (%s): graph %v, facts and evaluation %v, %d objects\n", how, u.GraphTime.Round(time.Millisecond), u.EvalTime.Round(time.Millisecond), u.Objects)
		}
		now := time.Now().UTC()
		cols := columns()
		if err := printDiff(out, format, now, cols, incremental.Keys(u.Removed), "-", u.Removed); err != nil {
			return err
		}
		return printDiff(out, format, now, cols, incremental.Keys(u.Added), "+", u.Added)
	}
	// Changes before the first answer are in it.
	mu.Lock()
	clear(pending)
	mu.Unlock()
	u, err := ev.Full(ctx, "first evaluation")
	if err != nil {
		return err
	}
	if err := show(u); err != nil {
		return err
	}
	for {
		select {
		case <-ctx.Done():
			return nil // SIGINT: a clean end
		case <-wake:
		}
		select { // let the rest of this change arrive
		case <-ctx.Done():
			return nil
		case <-time.After(watchDebounce):
		}
		select {
		case <-wake:
		default:
		}
		mu.Lock()
		changes := make([]kube.Change, 0, len(pending))
		for c := range pending {
			changes = append(changes, c)
		}
		clear(pending)
		mu.Unlock()
		if len(changes) == 0 {
			continue // already in the last answer
		}
		u, err := ev.Apply(ctx, changes)
		if err == nil {
			err = show(u)
		}
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			fmt.Fprintf(stderr, "error: %v\n", err)
		}
	}
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
// every change of a live cluster (in the namespaces it touched when every
// selected rule declares custom.watch, internal/incremental), findings
// printed as they appear (+) and are fixed (-). Suppressions, baselines and
// reports are not applied.
func runScanWatch(cmd *cobra.Command, f *scanFlags, engine *policies.Engine, paths []string) error {
	rules, err := scan.SelectRules(engine.Rules(), f.rules, f.skipRules, f.severities)
	if err != nil {
		return err
	}
	spec := incremental.Scan(engine, rules, enrich.Options{PSSVersion: f.src.ci.pssVersion})
	return watchRows(cmd.Context(), cmd, f, f.format, paths, spec, func() []string { return incremental.ScanColumns })
}
