package scan_test

import (
	"github.com/kscan-io/kscan/baseline"
	"github.com/kscan-io/kscan/policies/frameworks"
	"github.com/kscan-io/kscan/scan"
	"github.com/kscan-io/kscan/snapshot"
	"github.com/kscan-io/kscan/suppress"
)

// The post-processors and the snapshot reference implement the pipeline's
// interfaces; the assertions live here because those packages must not
// import scan (see internal/layout).
var (
	_ scan.PostProcessor = (*suppress.Processor)(nil)
	_ scan.PostProcessor = (*baseline.Processor)(nil)
	_ scan.PostProcessor = frameworks.Filter{}
	_ scan.Collector     = snapshot.Reference{}
)
