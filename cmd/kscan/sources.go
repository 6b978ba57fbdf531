package main

import (
	"context"

	"github.com/spf13/pflag"

	"github.com/kscan-io/kscan/collectors/manifest"
	"github.com/kscan-io/kscan/scan"
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
type sourceFlags struct{}

func (f *scanFlags) sources() []source {
	return []source{}
}

// contentHandlers lists the collectors that claim files by content (IAM
// exports, Pulumi state…), in the order they are asked.
func contentHandlers() []manifest.ContentHandler { return nil }

// dirHandlers lists the collectors that claim whole directories (Helm
// charts, kustomizations).
func dirHandlers() []manifest.DirHandler { return nil }

// postProcessors run on the finished report, in order (suppressions before
// baselines).
func (f *scanFlags) postProcessors() []scan.PostProcessor { return nil }
