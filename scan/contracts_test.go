package scan_test

import (
	"github.com/kscan-io/kscan/baseline"
	"github.com/kscan-io/kscan/collectors/ecr"
	"github.com/kscan-io/kscan/collectors/iam"
	"github.com/kscan-io/kscan/collectors/kube"
	"github.com/kscan-io/kscan/collectors/manifest"
	"github.com/kscan-io/kscan/collectors/pulumi"
	"github.com/kscan-io/kscan/collectors/registry"
	"github.com/kscan-io/kscan/policies/frameworks"
	"github.com/kscan-io/kscan/scan"
	"github.com/kscan-io/kscan/snapshot"
	"github.com/kscan-io/kscan/suppress"
)

// The post-processors implement the pipeline's interfaces and every source
// has the collectors' one shape, Collect(ctx, Options, *graph.Graph) error;
// the assertions live here because those packages must not import scan (see
// internal/layout). Helm charts and kustomizations are read through
// manifest.Collect (its DirHandlers), Pulumi previews by the analyzer.
var (
	_ scan.PostProcessor = (*suppress.Processor)(nil)
	_ scan.PostProcessor = (*baseline.Processor)(nil)
	_ scan.PostProcessor = frameworks.Filter{}

	_ scan.CollectFunc[manifest.Options] = manifest.Collect
	_ scan.CollectFunc[kube.Options]     = kube.Collect
	_ scan.CollectFunc[iam.FileOptions]  = iam.CollectFiles
	_ scan.CollectFunc[iam.LiveOptions]  = iam.CollectLive
	_ scan.CollectFunc[ecr.API]          = ecr.Collect
	_ scan.CollectFunc[ecr.LiveOptions]  = ecr.CollectLive
	_ scan.CollectFunc[registry.Options] = registry.Collect
	_ scan.CollectFunc[pulumi.Options]   = pulumi.Collect
	_ scan.CollectFunc[string]           = snapshot.CollectReference
)
