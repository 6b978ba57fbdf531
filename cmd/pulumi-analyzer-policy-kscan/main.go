// Command pulumi-analyzer-policy-kscan is kscan as a Pulumi policy pack. The
// Pulumi CLI starts it for a pack whose PulumiPolicy.yaml says
// `runtime: kscan`, or when --policy-pack names this executable. See
// docs/pulumi-analyzer.md.
package main

import (
	"context"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"

	"github.com/kscan-io/kscan/analyzer"
	"github.com/kscan-io/kscan/internal/buildinfo"
)

// version is set at build time with -ldflags "-X main.version=…"; without
// it, main() takes the module version the toolchain recorded (go install @vX).
var version = "dev"

func main() {
	version = buildinfo.Version(version)
	if _, set := os.LookupEnv("GOMEMLIMIT"); !set {
		debug.SetMemoryLimit(768 << 20)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := analyzer.Main(ctx, os.Args[1:], os.Stdout, os.Stderr, version)
	stop()
	os.Exit(code)
}
