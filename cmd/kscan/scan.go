package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"golang.org/x/term"

	"github.com/kscan-io/kscan/collectors/manifest"
	"github.com/kscan-io/kscan/enrich"
	"github.com/kscan-io/kscan/finding"
	"github.com/kscan-io/kscan/internal/safefile"
	"github.com/kscan-io/kscan/internal/termsafe"
	"github.com/kscan-io/kscan/policies"
	"github.com/kscan-io/kscan/report"
	"github.com/kscan-io/kscan/scan"
)

// scanFlags holds every flag of kscan scan. Sources add their own flags in
// their own files (addXFlags) and collectors (xCollectors).
type scanFlags struct {
	format      string
	output      string
	failOn      string
	rules       []string
	skipRules   []string
	severities  []string
	policyDirs  []string
	namespace   string
	quiet       bool
	noColor     bool
	maxFileSize int64
	skipDirs    []string
	skipFiles   []string
	timeout     time.Duration
	// queryTimeout bounds one query's evaluation (kscan query).
	queryTimeout time.Duration
	// watch and watchResync: --watch of kscan scan and kscan query.
	watch       bool
	watchResync time.Duration

	// out holds the report flags (formats, files, table and SARIF options).
	out outputFlags
	// repoSettings is what a repository's config changed or was refused.
	repoSettings []finding.ConfigSetting

	// One field per optional source or feature, each defined in its own file.
	src sourceFlags
}

const scanExamples = `  # Scan a directory of manifests; fail on high or critical findings
  kscan scan k8s/

  # SARIF for GitHub code scanning, failing only on critical findings
  kscan scan --format sarif --output kscan.sarif --fail-on critical k8s/

  # Several reports from one scan: SARIF and JUnit files, the table on stdout
  kscan scan --output-format sarif=kscan.sarif,junit=kscan.xml k8s/
  kscan scan -f sarif -o kscan.sarif -f junit -o kscan.xml -f table k8s/

  # PolicyReports as YAML, without a cluster
  kscan scan --format policyreport --output reports.yaml k8s/

  # Read manifests from a pipe
  helm template my-chart | kscan scan -

  # Only RBAC rules, plus your own Rego rules
  kscan scan --rules 'rbac/*' --policy ./policies k8s/

  # Findings of a live cluster as they appear and are fixed (Ctrl-C ends);
  # a change re-evaluates only its namespace (docs/query.md)
  kscan scan --watch --kubeconfig ~/.kube/config`

func newScanCmd() *cobra.Command {
	f := &scanFlags{}
	cmd := &cobra.Command{
		Use:   "scan [PATH|-]...",
		Short: "Scan manifests and other sources and report findings",
		Long: `Scan Kubernetes manifests (files, directories, or - for stdin) and the other
sources given by flags, evaluate the built-in rules and any --policy rules on
the combined graph, and report findings.

Every flag can also be set as KSCAN_<FLAG> (e.g. KSCAN_FAIL_ON=critical) or
as a key of your config file (--config, or <user config dir>/kscan/config.yaml;
e.g. "fail-on: critical"). A .kscan.yaml in the working directory belongs to
the repository under scan and is read only with --repo-config, limited to
safe keys; what it changed is shown in the report (docs/security.md).`,
		Example: scanExamples,
		RunE: func(cmd *cobra.Command, args []string) error {
			settings, err := applyConfig(cmd)
			if err != nil {
				return err
			}
			f.repoSettings = settings
			return runScan(cmd, f, args)
		},
	}
	fl := cmd.Flags()
	f.format = "table"
	fl.VarP(&orderedFlag{p: &f.format, name: "format", events: &f.out.events}, "format", "f", "output format: "+strings.Join(outputFormats().Names(), ", ")+"; repeat --format F --output P for several reports")
	fl.VarP(&orderedFlag{p: &f.output, name: "output", events: &f.out.events}, "output", "o", "write the report to this file instead of stdout (after a repeated --format: that format's file)")
	f.out.addFlags(fl)
	fl.StringVar(&f.failOn, "fail-on", "high", "exit 1 when a finding is at or above: critical, high, medium, low, none")
	fl.StringSliceVar(&f.rules, "rules", nil, "only run rules whose id matches these globs (e.g. 'k8s/*')")
	fl.StringSliceVar(&f.skipRules, "skip-rules", nil, "skip rules whose id matches these globs")
	fl.StringSliceVar(&f.severities, "severity", nil, "only run rules of these severities")
	fl.StringArrayVar(&f.policyDirs, "policy", nil, "directory (or file) of extra Rego rules; repeatable")
	fl.StringVarP(&f.namespace, "namespace", "n", "", "namespace for objects that have none (default \"default\")")
	fl.BoolVarP(&f.quiet, "quiet", "q", false, "print only findings and the summary; no progress or warnings")
	fl.BoolVar(&f.noColor, "no-color", false, "disable colour (also when NO_COLOR is set)")
	fl.Int64Var(&f.maxFileSize, "max-file-size", manifest.DefaultMaxFileSize, "largest input file in bytes (1 to 1073741824)")
	addSkipFlags(fl, f)
	fl.DurationVar(&f.timeout, "timeout", 10*time.Minute, "bound on the whole scan")
	fl.BoolVar(&f.watch, "watch", false, "keep scanning a live cluster: print findings as they appear (+) and are fixed (-) until interrupted; when every selected rule declares custom.watch, a change is re-evaluated only in the namespaces it touches (docs/query.md)")
	fl.DurationVar(&f.watchResync, "watch-resync", 10*time.Minute, "with --watch: re-deliver every object at this interval (0: never)")
	for _, s := range f.sources() {
		s.addFlags(fl)
	}
	return cmd
}

// maxMaxFileSize is the largest --max-file-size: a file that size is parsed
// in memory, and larger numbers overflowed the read limit (everything read
// as empty, exit 0).
const maxMaxFileSize = 1 << 30

// validateLimits refuses limits that would overflow or disable a bound.
func (f *scanFlags) validateLimits() error {
	if f.maxFileSize < 1 || f.maxFileSize > maxMaxFileSize {
		return fmt.Errorf("--max-file-size %d: want 1 to %d bytes (%s)", f.maxFileSize, int64(maxMaxFileSize), safefile.Size(maxMaxFileSize))
	}
	if f.timeout <= 0 {
		return fmt.Errorf("--timeout %s: want a positive duration, e.g. 5m", f.timeout)
	}
	return nil
}

func runScan(cmd *cobra.Command, f *scanFlags, paths []string) error {
	failOn, err := finding.ParseSeverity(f.failOn)
	if err != nil {
		return fmt.Errorf("--fail-on: %w", err)
	}
	if err := f.validateLimits(); err != nil {
		return err
	}
	if err := f.out.resolve(cmd, f); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeoutCause(cmd.Context(), f.timeout, fmt.Errorf("--timeout %s reached", f.timeout))
	defer cancel()

	loaded := scan.Phase("load rules")
	engine, err := policies.Load(ctx, policies.Options{PolicyDirs: f.policyDirs})
	loaded()
	if err != nil {
		return err
	}
	if f.watch {
		// Not bounded by --timeout: a watch runs until interrupted.
		return runScanWatch(cmd, f, engine, paths)
	}
	collectors, err := f.collectors(ctx, paths, cmd.InOrStdin())
	if err != nil {
		return err
	}
	if len(collectors) == 0 {
		return fmt.Errorf("nothing to scan: give a path (or - for stdin); see kscan scan --help")
	}
	res, err := scan.Run(ctx, scan.Options{
		Engine:         engine,
		Collectors:     collectors,
		Rules:          f.rules,
		SkipRules:      f.skipRules,
		Severities:     f.severities,
		PostProcessors: f.postProcessors(engine),
		ToolName:       "kscan",
		ToolVersion:    version,
		Enrich:         enrich.Options{PSSVersion: f.src.ci.pssVersion},
		// In-cluster reports (--report) carry pass results too.
		Passes: f.out.needsPasses() || f.src.kube.report != "",
		// In-cluster reports store a snapshot of the whole objects; other
		// post-processors read only metadata and images.
		SlimObjects: f.src.kube.report == "",
	})
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) && ctx.Err() != nil {
			return fmt.Errorf("the scan did not finish within --timeout %s (%v); raise --timeout or scan less", f.timeout, err)
		}
		return err
	}
	rep := res.Report
	rep.Config = append(f.repoSettings, rep.Config...)
	if ctx.Err() != nil {
		why := fmt.Sprintf("the scan did not finish within --timeout %s; the report covers what finished (raise --timeout or scan less)", f.timeout)
		if cmd.Context().Err() != nil {
			why = "the scan was interrupted by a signal; the report covers what finished"
		}
		rep.Notifications = append(rep.Notifications, finding.Notification{Level: "error", Message: why})
	}
	// Errors and warnings go to stderr in every format, so a report on
	// stdout stays parseable and a CI log shows why a scan is incomplete.
	stderr := cmd.ErrOrStderr()
	for _, n := range rep.Notifications {
		if n.Level == "error" || !f.quiet {
			fmt.Fprintf(stderr, "%s: %s\n", n.Level, termsafe.String(report.NotificationLine(n)))
		}
	}
	f.src.kube.logChanges(stderr)
	if rep.Resources == 0 && !f.quiet {
		fmt.Fprintln(stderr, "warning: 0 objects were scanned: check the paths and flags (kscan scan --help)")
	}
	written := scan.Phase("report")
	if err := f.out.write(cmd.OutOrStdout(), f, rep, paths); err != nil {
		return err
	}
	written()
	// From here to the process's exit (KSCAN_DEBUG_TIMINGS).
	teardown = scan.Phase("teardown")
	code := scan.ExitCode(rep, failOn, f.src.ci.failOnNew)
	if code != 0 {
		return exitError{code}
	}
	return nil
}

func manifestCollector(f *scanFlags, paths []string, stdin io.Reader) scan.Collector {
	return scan.Source("manifest", manifest.Collect, manifest.Options{
		Paths:            paths,
		DefaultNamespace: f.namespace,
		MaxFileSize:      f.maxFileSize,
		SkipDirs:         f.skipDirs,
		SkipFiles:        f.skipFiles,
		Stdin:            stdin,
		Handlers:         append(contentHandlers(), f.src.ci.ciContentHandlers(f)...),
		DirHandlers:      f.dirHandlers(paths),
		FileClaimers:     fileClaimers(),
		FollowSymlinks:   f.src.ci.followSymlinks,
	})
}

// useColor: only on a terminal, never with NO_COLOR (any value) or --no-color.
func useColor(w io.Writer, noColor bool) bool {
	if noColor {
		return false
	}
	if _, set := os.LookupEnv("NO_COLOR"); set {
		return false
	}
	if os.Getenv("TERM") == "dumb" {
		return false
	}
	file, ok := w.(*os.File)
	return ok && term.IsTerminal(int(file.Fd()))
}

// addSkipFlags adds --skip-dirs/--skip-files: globs of what directory walks
// leave out (test fixtures, vendored charts), as Trivy's flags of that name.
func addSkipFlags(fl *pflag.FlagSet, f *scanFlags) {
	fl.StringSliceVar(&f.skipDirs, "skip-dirs", nil, "directories to leave out of directory walks: globs on the name or path, * crossing slashes (e.g. testdata, 'charts/*/tests')")
	fl.StringSliceVar(&f.skipFiles, "skip-files", nil, "files to leave out of directory walks: globs on the name or path (e.g. '*.values.yaml'); files named on the command line are always read")
}
