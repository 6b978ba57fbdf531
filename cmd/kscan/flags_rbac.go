package main

import (
	"context"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/pflag"

	"github.com/kscan-io/kscan/baseline"
	"github.com/kscan-io/kscan/collectors/manifest"
	"github.com/kscan-io/kscan/finding"
	"github.com/kscan-io/kscan/graph"
	"github.com/kscan-io/kscan/policies"
	"github.com/kscan-io/kscan/rbac"
	"github.com/kscan-io/kscan/scan"
	"github.com/kscan-io/kscan/snapshot"
)

// rbacFlags are the references rbac/drift compares effective permissions
// with: --desired (a directory of manifests) and, when --baseline is a
// kscan snapshot, the snapshot's RBAC.
type rbacFlags struct {
	desired     []string
	kubeVersion string
}

func (r *rbacFlags) addFlags(fs *pflag.FlagSet) {
	fs.StringArrayVar(&r.desired, "desired", nil, "directory (or file) of manifests that should define RBAC; rbac/drift reports how effective permissions differ from it; repeatable")
	fs.StringVar(&r.kubeVersion, "kube-version", "", "Kubernetes version of the cluster the files are for (e.g. v1.37): its bootstrap RBAC policy tells Kubernetes' own roles and bindings from others (default: the newest supported, "+graph.NewestKubeVersion()+"; live clusters report their own)")
}

func (r *rbacFlags) collectors(_ context.Context, f *scanFlags) ([]scan.Collector, error) {
	var out []scan.Collector
	if r.kubeVersion != "" {
		if _, ok := graph.MinorVersion(r.kubeVersion); !ok {
			return nil, fmt.Errorf("--kube-version %q: want a Kubernetes version such as v1.37 (supported: %s)", r.kubeVersion, strings.Join(graph.KubeVersions(), ", "))
		}
		out = append(out, scan.Source("kube-version", setKubeVersion, r.kubeVersion))
	}
	if len(r.desired) > 0 {
		for _, d := range r.desired {
			if _, err := os.Stat(d); err != nil {
				return nil, fmt.Errorf("--desired: %w", err)
			}
		}
		paths := r.desired
		out = append(out, scan.Source("desired", collectDesired, manifest.Options{
			Paths: paths, DefaultNamespace: f.namespace, MaxFileSize: f.maxFileSize, SkipDirs: f.skipDirs, SkipFiles: f.skipFiles,
			Handlers: contentHandlers(), DirHandlers: f.dirHandlers(paths), FileClaimers: fileClaimers(),
		}))
	}
	if f.src.ci.baseline != "" {
		out = append(out, scan.Source("snapshot", snapshot.CollectReference, f.src.ci.baseline))
	}
	return out, nil
}

// setKubeVersion records the Kubernetes version files are for (--kube-version).
func setKubeVersion(_ context.Context, v string, g *graph.Graph) error {
	g.SetKubeVersion("", v)
	return nil
}

// collectDesired reads the manifests of --desired as the "desired" RBAC
// reference of the scanned graph.
func collectDesired(ctx context.Context, opts manifest.Options, g *graph.Graph) error {
	ref := graph.New()
	err := manifest.Collect(ctx, opts, ref)
	// Problems reading the desired state make the scan incomplete like any
	// other input.
	for _, e := range ref.Errors() {
		g.AddError(e)
	}
	rbac.AddReference(g, rbac.RefDesired, ref.Nodes())
	return err
}

// snapshotBaselineFormat lets --baseline take a kscan snapshot: its graph is
// evaluated by the scan's engine with the rules this scan selected, and
// those findings are the baseline.
func (f *scanFlags) snapshotBaselineFormat(e *policies.Engine) baseline.Format {
	return snapshot.BaselineFormat{Evaluate: func(ctx context.Context, g *graph.Graph) ([]finding.Finding, error) {
		rules, err := scan.SelectRules(e.Rules(), f.rules, f.skipRules, f.severities)
		if err != nil {
			return nil, err
		}
		return scan.Evaluator(e, rules)(ctx, g)
	}}
}
