package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/spf13/pflag"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/client-go/rest"

	"github.com/kscan-io/kscan/collectors/kube"
	"github.com/kscan-io/kscan/graph"
	"github.com/kscan-io/kscan/internal/termsafe"
	"github.com/kscan-io/kscan/rbac"
	"github.com/kscan-io/kscan/report/policyreport"
	"github.com/kscan-io/kscan/scan"
	"github.com/kscan-io/kscan/snapshot"
)

// kubeFlags are the flags of the live-cluster source and of the in-cluster
// report writer.
type kubeFlags struct {
	kubeconfig     string
	context        string
	allContexts    bool
	inCluster      bool
	clusterName    string
	qps            float32
	burst          int
	concurrency    int
	pageSize       int64
	requestTimeout time.Duration
	skipCRs        bool
	skipSecrets    bool

	report           string
	reportAPI        string
	reportMaxResults int
	snapshotNS       string
	noSnapshot       bool

	// clusters is resolved by collectors and used by the report writer.
	clusters []kube.Cluster
	// progress is where the progress bar goes (stderr when a terminal).
	progress io.Writer
	// processor is the report writer of --report, for its log summary.
	processor *policyreport.Processor
}

func (k *kubeFlags) addFlags(fs *pflag.FlagSet) {
	fs.StringVar(&k.kubeconfig, "kubeconfig", "", "scan the live cluster of this kubeconfig (default context; $KUBECONFIG or ~/.kube/config when only --context is given)")
	fs.StringVar(&k.context, "context", "", "kubeconfig context to scan")
	fs.BoolVar(&k.allContexts, "all-contexts", false, "scan every context of the kubeconfig; identities get a <context>: prefix")
	fs.BoolVar(&k.inCluster, "in-cluster", false, "scan the cluster kscan runs in, with its pod's ServiceAccount")
	fs.StringVar(&k.clusterName, "cluster-name", "", "name of the cluster with --in-cluster, in locations (default \"in-cluster\")")
	fs.Float32Var(&k.qps, "kube-qps", kube.DefaultQPS, "client-side rate limit of API requests per second")
	fs.IntVar(&k.burst, "kube-burst", kube.DefaultBurst, "client-side burst of API requests")
	fs.IntVar(&k.concurrency, "kube-concurrency", kube.DefaultConcurrency, "resource types listed in parallel")
	fs.Int64Var(&k.pageSize, "kube-page-size", kube.DefaultPageSize, "objects per list request (limit/continue)")
	fs.DurationVar(&k.requestTimeout, "kube-request-timeout", kube.DefaultRequestTimeout, "deadline of each API request")
	fs.BoolVar(&k.skipCRs, "kube-skip-custom-resources", false, "do not list the objects of CRD-served types")
	fs.BoolVar(&k.skipSecrets, "kube-skip-secrets", false, "do not list Secrets, not even their metadata (the in-cluster CronJob sets it: its ServiceAccount has no permission on Secrets)")
	fs.StringVar(&k.report, "report", "", "also publish results in the scanned cluster: policyreport")
	fs.StringVar(&k.reportAPI, "report-api", policyreport.APIPolicyReport, "report objects to write: policyreport (wgpolicyk8s.io/v1alpha2) or openreports (openreports.io/v1alpha1)")
	fs.IntVar(&k.reportMaxResults, "report-max-results", policyreport.DefaultMaxResults, "most results in one report object; the rest are dropped and counted in an annotation and a warning")
	fs.StringVar(&k.snapshotNS, "snapshot-namespace", "", "namespace of the graph snapshot ConfigMap written with --report (default: the pod's namespace in-cluster, else kscan)")
	fs.BoolVar(&k.noSnapshot, "no-snapshot", false, "do not store the graph snapshot with --report")
}

func (k *kubeFlags) enabled() bool {
	return k.kubeconfig != "" || k.context != "" || k.allContexts || k.inCluster
}

func (k *kubeFlags) collectors(_ context.Context, f *scanFlags) ([]scan.Collector, error) {
	if k.report != "" && k.report != "policyreport" {
		return nil, fmt.Errorf("--report: unknown value %q (want policyreport)", k.report)
	}
	if _, err := policyreport.KindsOf(k.reportAPI); err != nil {
		return nil, fmt.Errorf("--report-api: %w", err)
	}
	if err := k.validateNumbers(); err != nil {
		return nil, err
	}
	if !k.enabled() {
		if k.report != "" {
			return nil, fmt.Errorf("--report %s writes into the scanned cluster: add --in-cluster or --kubeconfig/--context", k.report)
		}
		return nil, nil
	}
	clusters, err := kube.LoadClusters(kube.ConfigOptions{
		Kubeconfig: k.kubeconfig, Context: k.context, AllContexts: k.allContexts,
		InCluster: k.inCluster, ClusterName: k.clusterName,
	})
	if err != nil {
		return nil, err
	}
	if k.report != "" && len(clusters) != 1 {
		return nil, fmt.Errorf("--report writes into one cluster; %d contexts are selected", len(clusters))
	}
	k.clusters = clusters
	if !f.quiet && isTerminal(os.Stderr) {
		k.progress = os.Stderr
	}
	opts := kube.Options{
		Clusters: clusters, PageSize: k.pageSize, Concurrency: k.concurrency, QPS: k.qps, Burst: k.burst,
		RequestTimeout: k.requestTimeout, SkipCustomResources: k.skipCRs, SkipSecrets: k.skipSecrets, Progress: k.progress,
		UserAgent: "kscan/" + version,
	}
	return []scan.Collector{scan.Source(string(graph.SourceCluster), k.collect, opts)}, nil
}

// collect reads the clusters and, for --report with a snapshot, the graph
// the previous run stored.
func (k *kubeFlags) collect(ctx context.Context, opts kube.Options, g *graph.Graph) error {
	if err := kube.Collect(ctx, opts, g); err != nil {
		return err
	}
	if k.report != "" && !k.noSnapshot {
		k.previousSnapshot(ctx, opts.Clusters[0], g)
	}
	return nil
}

// maxPreviousSnapshot bounds the decompressed previous snapshot: the
// ConfigMap holds at most 1 MiB compressed, and the CronJob has a memory
// limit; anything larger is not a snapshot kscan wrote.
const maxPreviousSnapshot = 64 << 20

// previousSnapshot reads the graph the last --report run stored and makes
// its RBAC objects the baseline reference, so rbac/drift reports what
// changed since then. A missing snapshot is a first run; a corrupt,
// foreign or oversized one is a warning and a fresh start, never a failure.
func (k *kubeFlags) previousSnapshot(ctx context.Context, c kube.Cluster, g *graph.Graph) {
	ns := k.snapshotNamespace()
	where := graph.Source{Kind: graph.SourceCluster, Cluster: c.Name, Path: "/api/v1/namespaces/" + ns + "/configmaps/" + policyreport.SnapshotConfigMap}
	warn := func(msg string) {
		g.AddError(graph.InputError{Level: graph.LevelWarning, Source: where, Resource: "ConfigMap " + ns + "/" + policyreport.SnapshotConfigMap, Message: msg + "; this run starts afresh (no RBAC drift since the last run)"})
	}
	cfg := rest.CopyConfig(c.Config)
	cfg.Timeout = k.requestTimeout
	rctx, cancel := context.WithTimeout(ctx, k.requestTimeout)
	defer cancel()
	data, format, err := policyreport.ReadSnapshot(rctx, cfg, ns)
	switch {
	case apierrors.IsNotFound(err):
		return // first run
	case err != nil:
		warn("cannot read the last run's snapshot: " + err.Error())
		return
	case format != SnapshotFormat:
		warn(fmt.Sprintf("the last run's snapshot has format %q, not %q", format, SnapshotFormat))
		return
	}
	prev, err := snapshot.ReadLimited(bytes.NewReader(data), maxPreviousSnapshot)
	if err != nil {
		warn("the last run's snapshot is unreadable: " + err.Error())
		return
	}
	rbac.AddReference(g, rbac.RefBaseline, snapshot.LiveNodes(prev))
}

// postProcessors writes PolicyReports when --report is set; it runs last,
// after suppressions, so waived findings are reported as skipped.
func (k *kubeFlags) postProcessors() []scan.PostProcessor {
	if k.report == "" || len(k.clusters) != 1 {
		return nil
	}
	c := k.clusters[0]
	opts := policyreport.Options{API: k.reportAPI, Cluster: c.Name, MaxResults: k.reportMaxResults}
	if !k.noSnapshot {
		opts.SnapshotNamespace = k.snapshotNamespace()
		opts.Snapshot = snapshotBytes
	}
	cfg := rest.CopyConfig(c.Config)
	cfg.Timeout = k.requestTimeout
	k.processor = &policyreport.Processor{Config: cfg, Options: opts}
	return []scan.PostProcessor{k.processor}
}

// logChanges prints what changed since the last --report run (the
// CronJob's log summary), even with --quiet: it is the point of the run.
func (k *kubeFlags) logChanges(w io.Writer) {
	if k.processor == nil {
		return
	}
	var buf bytes.Buffer
	k.processor.Changes.Log(&buf)
	fmt.Fprint(w, termsafe.Lines(buf.String()))
}

// SnapshotFormat names the ConfigMap's encoding: the snapshot package's
// file format (kscan snapshot --output writes the same bytes).
const SnapshotFormat = "kscan.io/snapshot;v=1"

// snapshotBytes is the hook between the report writer and the snapshot
// package: the stored bytes are exactly a snapshot file.
func snapshotBytes(g *graph.Graph, _ string) ([]byte, string, error) {
	var buf bytes.Buffer
	if err := snapshot.WriteWith(&buf, g, snapshot.Options{ToolVersion: version}); err != nil {
		return nil, "", err
	}
	return buf.Bytes(), SnapshotFormat, nil
}

func (k *kubeFlags) snapshotNamespace() string {
	if k.snapshotNS != "" {
		return k.snapshotNS
	}
	if k.inCluster {
		if b, err := os.ReadFile("/var/run/secrets/kubernetes.io/serviceaccount/namespace"); err == nil {
			if ns := strings.TrimSpace(string(b)); ns != "" {
				return ns
			}
		}
	}
	return "kscan"
}

func isTerminal(f *os.File) bool {
	if os.Getenv("TERM") == "dumb" {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// validateNumbers refuses numeric flags outside what the client can use
// (a negative page size or concurrency, an overflowing burst).
func (k *kubeFlags) validateNumbers() error {
	switch {
	case k.qps <= 0 || k.qps > 1e6:
		return fmt.Errorf("--kube-qps %g: want more than 0 and at most 1000000", k.qps)
	case k.burst < 1 || k.burst > 1e6:
		return fmt.Errorf("--kube-burst %d: want 1 to 1000000", k.burst)
	case k.concurrency < 1 || k.concurrency > 1024:
		return fmt.Errorf("--kube-concurrency %d: want 1 to 1024", k.concurrency)
	case k.pageSize < 0 || k.pageSize > 1e6:
		return fmt.Errorf("--kube-page-size %d: want 0 (no paging) to 1000000", k.pageSize)
	case k.reportMaxResults < 1 || k.reportMaxResults > 1e6:
		return fmt.Errorf("--report-max-results %d: want 1 to 1000000", k.reportMaxResults)
	case k.requestTimeout <= 0:
		return fmt.Errorf("--kube-request-timeout %s: want a positive duration", k.requestTimeout)
	}
	return nil
}
