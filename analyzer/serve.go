package analyzer

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/common/util/rpcutil"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/grpc"
)

// Args are the plugin's command-line arguments as the Pulumi CLI passes
// them: logging flags first (--logtostderr, -v=N, --tracing ADDR), then the
// engine address, then, for a `runtime: kscan` pack, the pack directory
// (".") and one -key=value per runtime option.
type Args struct {
	EngineAddress string
	PackDir       string
	Options       map[string]string
}

// ParseArgs reads the arguments robustly: unknown flags before the engine
// address are skipped (with their value for the flags known to take one).
func ParseArgs(args []string) (Args, error) {
	a := Args{Options: map[string]string{}}
	var positional []string
	for i := 0; i < len(args); i++ {
		arg := args[i]
		if len(positional) == 0 && strings.HasPrefix(arg, "-") {
			name := strings.TrimLeft(arg, "-")
			if !strings.Contains(name, "=") && (name == "tracing" || name == "root" || name == "v") && i+1 < len(args) {
				i++ // a flag with its value in the next argument
			}
			continue
		}
		if len(positional) > 0 && strings.HasPrefix(arg, "-") {
			kv := strings.TrimLeft(arg, "-")
			k, v, ok := strings.Cut(kv, "=")
			if !ok || k == "" {
				return a, fmt.Errorf("runtime option %q is not -key=value", arg)
			}
			a.Options[k] = v
			continue
		}
		positional = append(positional, arg)
	}
	if len(positional) == 0 {
		return a, fmt.Errorf("usage: pulumi-analyzer-policy-kscan [logging flags] ENGINE_ADDRESS [PACK_DIR [-key=value...]]")
	}
	if len(positional) > 2 {
		return a, fmt.Errorf("unexpected arguments %q", positional[2:])
	}
	a.EngineAddress = positional[0]
	if len(positional) == 2 {
		a.PackDir = positional[1]
	}
	return a, nil
}

// Main runs the plugin: it loads the pack, serves the Analyzer service on a
// loopback port, writes the port as the first line of stdout (nothing else
// is ever written there) and serves until the engine closes it.
func Main(ctx context.Context, args []string, stdout, stderr io.Writer, version string) int {
	a, err := ParseArgs(args)
	if err != nil {
		fmt.Fprintln(stderr, "kscan analyzer:", err)
		return 2
	}
	// A `runtime: kscan` pack passes its directory ("."). Started as a plain
	// analyzer ([engineAddress] or [engineAddress, programDir]), the settings
	// come from the working directory or from beside the binary, else
	// defaults; a directory without pack files is never searched for rules.
	first := a.PackDir
	if first == "" {
		first, _ = os.Getwd()
	}
	dir := FindPackDir(first, ExecutableDir())
	pack, err := LoadPack(dir, a.Options["config"])
	if err != nil {
		// Still serve: the engine shows this error when it calls Handshake.
		fmt.Fprintln(stderr, "kscan analyzer:", err)
		pack = &Pack{Dir: dir, Name: "kscan", Version: "0.0.0"}
	}
	if t := a.Options["timeout"]; t != "" {
		pack.Settings.Timeout = t
	}
	srv := New(ctx, pack, version)
	if err != nil && srv.loadErr == nil {
		srv.loadErr = err
	}
	if srv.loadErr != nil {
		fmt.Fprintln(stderr, "kscan analyzer:", srv.loadErr)
	}
	cancel := make(chan bool)
	handle, err := rpcutil.ServeWithOptions(rpcutil.ServeOptions{
		Cancel: cancel,
		Init: func(s *grpc.Server) error {
			pulumirpc.RegisterAnalyzerServer(s, srv)
			return nil
		},
		Options: rpcutil.OpenTracingServerInterceptorOptions(nil),
	})
	if err != nil {
		fmt.Fprintln(stderr, "kscan analyzer: serving:", err)
		return 1
	}
	fmt.Fprintf(stdout, "%d\n", handle.Port)
	go func() {
		<-ctx.Done()
		srv.Stop()
		close(cancel)
	}()
	if err := <-handle.Done; err != nil {
		fmt.Fprintln(stderr, "kscan analyzer:", err)
		return 1
	}
	return 0
}
