package main

import (
	"context"

	"github.com/spf13/pflag"

	"github.com/kscan-io/kscan/collectors/pulumi"
	"github.com/kscan-io/kscan/graph"
	"github.com/kscan-io/kscan/scan"
)

// pulumiFlags are the flags of the Pulumi state source.
type pulumiFlags struct {
	states  []string
	backend string
	stack   string
}

func (p *pulumiFlags) addFlags(fs *pflag.FlagSet) {
	fs.StringArrayVar(&p.states, "pulumi-state", nil, "Pulumi stack export or checkpoint JSON (pulumi stack export > state.json); repeatable")
	fs.StringVar(&p.backend, "pulumi-backend", "", "Pulumi DIY backend folder or file:// URL (reads .pulumi/stacks/<project>/<stack>.json)")
	fs.StringVar(&p.stack, "pulumi-stack", "", "stack of --pulumi-backend to scan, as <stack> or <project>/<stack> (default: every stack)")
}

func (p *pulumiFlags) collectors(_ context.Context, _ *scanFlags) ([]scan.Collector, error) {
	if len(p.states) == 0 && p.backend == "" && p.stack == "" {
		return nil, nil
	}
	opts := pulumi.Options{StateFiles: p.states, Backend: p.backend, Stack: p.stack}
	return []scan.Collector{scan.Source(string(graph.SourcePulumiState), pulumi.Collect, opts)}, nil
}
