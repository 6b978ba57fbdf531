package main

import (
	"context"
	"io"

	"github.com/spf13/pflag"

	"github.com/kscan-io/kscan/baseline"
	"github.com/kscan-io/kscan/collectors/ecr"
	"github.com/kscan-io/kscan/collectors/iam"
	"github.com/kscan-io/kscan/collectors/manifest"
	"github.com/kscan-io/kscan/collectors/pulumi"
	"github.com/kscan-io/kscan/policies"
	"github.com/kscan-io/kscan/scan"
	"github.com/kscan-io/kscan/snapshot"
)

// This file is the one place where sources, content handlers and
// post-processors are registered. A new source adds a field to sourceFlags, a
// file of its own (flags_<source>.go) implementing source, and one line in
// sources() — no init() magic.

// source is an optional input of kscan scan, switched on by its flags.
type source interface {
	addFlags(fs *pflag.FlagSet)
	// collectors returns what the flags ask for (nothing when unused).
	collectors(ctx context.Context, f *scanFlags) ([]scan.Collector, error)
}

// sourceFlags holds each source's flag values.
type sourceFlags struct {
	pulumi   pulumiFlags
	ci       ciFlags
	kube     kubeFlags
	rbac     rbacFlags
	iam      iamFlags
	registry registryFlags
}

func (f *scanFlags) sources() []source {
	return []source{
		&f.src.pulumi,
		&f.src.ci,
		&f.src.kube,
		&f.src.rbac,
		&f.src.iam,
		&f.src.registry, // keep last: it reads the images the other sources found
	}
}

// collectors are the collectors of a scan: the manifest paths, then every
// source its flags switch on, in the order of sources().
func (f *scanFlags) collectors(ctx context.Context, paths []string, stdin io.Reader) ([]scan.Collector, error) {
	var out []scan.Collector
	if len(paths) > 0 {
		out = append(out, manifestCollector(f, paths, stdin))
	}
	for _, s := range f.sources() {
		cs, err := s.collectors(ctx, f)
		if err != nil {
			return nil, err
		}
		out = append(out, cs...)
	}
	return out, nil
}

// contentHandlers lists the collectors that claim files by content (IAM
// exports, Pulumi state…), in the order they are asked.
func contentHandlers() []manifest.ContentHandler {
	return []manifest.ContentHandler{
		pulumi.Handler{},
		iam.Handler{},
		ecr.Handler{},
	}
}

// dirHandlers lists the collectors that claim whole directories (Helm
// charts, kustomizations).
func (f *scanFlags) dirHandlers(paths []string) []manifest.DirHandler {
	return f.src.ci.ciDirHandlers(f, paths)
}

// fileClaimers lists the collectors that claim single files before they
// are parsed (a snapshot given as an input path), after the directory
// handlers that claim files too (packaged Helm charts).
func fileClaimers() []manifest.FileClaimer {
	return []manifest.FileClaimer{snapshot.FileHandler{}}
}

// baselineFormats lists the formats --baseline reads, tried in order on the
// file's content (kscan SARIF first); e.g. a graph snapshot format is added
// here.
func (f *scanFlags) baselineFormats(e *policies.Engine) []baseline.Format {
	return append(baseline.DefaultFormats(), f.snapshotBaselineFormat(e))
}

// postProcessors run on the finished report, in order (suppressions before
// baselines).
func (f *scanFlags) postProcessors(e *policies.Engine) []scan.PostProcessor {
	return append(f.src.ci.ciPostProcessors(f, e), f.src.kube.postProcessors()...)
}
