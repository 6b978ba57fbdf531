// Command kscan scans Kubernetes manifests, live clusters, cloud IAM,
// container registries and Pulumi state with one set of Rego rules.
package main

import (
	"context"
	"errors"
	"fmt"
	"github.com/kscan-io/kscan/internal/buildinfo"
	"io"
	"os"
	"os/signal"
	"runtime/pprof"
	"syscall"

	"github.com/kscan-io/kscan/internal/termsafe"
)

func main() {
	version = buildinfo.Version(version)
	tuneMemory()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	stopProfile := startProfile()
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stopProfile()
	stop()
	teardown()
	os.Exit(code)
}

// teardown ends the "teardown" phase of KSCAN_DEBUG_TIMINGS: runScan starts
// it once the report is written.
var teardown = func() {}

// startProfile writes Go profiles for docs/benchmarks.md work when
// KSCAN_PPROF_CPU or KSCAN_PPROF_HEAP name a file (not flags: they are for
// kscan's developers, not its users).
func startProfile() func() {
	cpu, heap := os.Getenv("KSCAN_PPROF_CPU"), os.Getenv("KSCAN_PPROF_HEAP")
	var cpuFile *os.File
	if cpu != "" {
		f, err := os.Create(cpu)
		if err == nil && pprof.StartCPUProfile(f) == nil {
			cpuFile = f
		}
	}
	return func() {
		if cpuFile != nil {
			pprof.StopCPUProfile()
			cpuFile.Close()
		}
		if heap != "" {
			if f, err := os.Create(heap); err == nil {
				pprof.Lookup("allocs").WriteTo(f, 0)
				f.Close()
			}
		}
	}
}

// exitError carries an exit code through cobra.
type exitError struct{ code int }

func (e exitError) Error() string { return fmt.Sprintf("exit %d", e.code) }

// run executes the CLI with the given streams and returns the exit code.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	root := newRootCmd()
	root.SetArgs(args)
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return 0
	}
	var ee exitError
	if errors.As(err, &ee) {
		return ee.code
	}
	fmt.Fprintln(stderr, "kscan: "+termsafe.String(err.Error()))
	return 2
}
