package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/spf13/pflag"
	"helm.sh/helm/v3/pkg/chartutil"

	"github.com/kscan-io/kscan/baseline"
	"github.com/kscan-io/kscan/collectors/helm"
	"github.com/kscan-io/kscan/collectors/kustomize"
	"github.com/kscan-io/kscan/collectors/manifest"
	"github.com/kscan-io/kscan/enrich"
	"github.com/kscan-io/kscan/finding"
	"github.com/kscan-io/kscan/graph"
	"github.com/kscan-io/kscan/internal/safefile"
	"github.com/kscan-io/kscan/policies"
	"github.com/kscan-io/kscan/policies/frameworks"
	"github.com/kscan-io/kscan/pss"
	"github.com/kscan-io/kscan/scan"
	"github.com/kscan-io/kscan/suppress"
)

// ciFlags are the flags of kscan scan for running in CI: suppressions,
// baselines, Helm and Kustomize inputs and frameworks. It is a source that
// adds no collector of its own.
type ciFlags struct {
	ignoreFile       string
	noInlineIgnores  bool
	wildcardIgnores  bool
	baseline         string
	failOnNew        bool
	helmValues       []string
	helmSet          []string
	helmRelease      string
	helmNamespace    string
	helmKubeVersion  string
	helmAPIVersions  []string
	framework        string
	pssVersion       string
	noDefaultWaivers bool
	followSymlinks   bool
	kustomizeRemote  bool

	fw  *frameworks.Framework // resolved --framework
	pss string                // --pss-version resolved ("v1.37")
}

func (c *ciFlags) addFlags(fs *pflag.FlagSet) {
	fs.StringVar(&c.ignoreFile, "ignore-file", "", "suppressions file (default "+suppress.DefaultFile+" when present)")
	fs.BoolVar(&c.noInlineIgnores, "no-inline-ignores", false, "ignore "+suppress.AnnotationIgnore+" annotations on resources")
	fs.BoolVar(&c.wildcardIgnores, "allow-wildcard-ignores", false, "let the repository's "+suppress.DefaultFile+" waive rules by a wildcard (\"*\", \"k8s/*\")")
	fs.BoolVar(&c.noDefaultWaivers, "no-default-waivers", false, "report findings on well-known platform components (kube-proxy, CoreDNS, CNIs, cloud add-ons) as active instead of suppressed by the default waivers ("+suppress.ProfilePlatform+")")
	fs.StringVar(&c.baseline, "baseline", "", "earlier report (SARIF) to compare with: results are marked new, unchanged or updated, and absent ones listed")
	fs.BoolVar(&c.failOnNew, "fail-on-new", false, "with --baseline: exit 1 only for new findings at or above --fail-on")
	fs.StringArrayVar(&c.helmValues, "helm-values", nil, "values file for Helm charts; repeatable, later files win")
	fs.StringArrayVar(&c.helmSet, "helm-set", nil, "value for Helm charts (key=value, as helm --set); repeatable")
	fs.StringVar(&c.helmRelease, "helm-release", helm.DefaultRelease, "release name Helm charts are rendered with")
	fs.StringVar(&c.helmNamespace, "helm-namespace", "", "namespace Helm charts are rendered into (default: --namespace, else \"default\")")
	fs.StringVar(&c.helmKubeVersion, "helm-kube-version", "", "Kubernetes version Helm charts see as .Capabilities.KubeVersion (as helm template --kube-version; default Helm's)")
	fs.StringSliceVar(&c.helmAPIVersions, "helm-api-versions", nil, "API versions Helm charts see in .Capabilities.APIVersions, e.g. monitoring.coreos.com/v1 (as helm template --api-versions); repeatable or comma-separated")
	fs.BoolVar(&c.followSymlinks, "follow-symlinks", false, "read symbolic links that point outside the scanned path (charts, kustomizations, manifests); only for a tree you trust, e.g. kscan scan --follow-symlinks ./deploy")
	fs.BoolVar(&c.kustomizeRemote, "kustomize-allow-remote", false, "let kustomizations fetch remote resources (http(s)://, git::, github.com/…: HTTP with a "+kustomize.RemoteTimeout.String()+" deadline and "+safefile.Size(kustomize.RemoteMaxBytes)+" per file, and git clones); only for a tree you trust, e.g. kscan scan --kustomize-allow-remote overlays/prod")
	fs.StringVar(&c.framework, "framework", "", "run only the rules of this framework and summarise per control: "+strings.Join(frameworks.IDs(), ", "))
	fs.StringVar(&c.pssVersion, "pss-version", pss.Latest, "Pod Security Standards version workloads are judged at: latest or v1.<minor> ("+pssVersions()+")")
}

// pssVersions describes the versions --pss-version accepts.
func pssVersions() string {
	e, err := pss.Default()
	if err != nil {
		return err.Error()
	}
	return "v1.0 to " + e.MaxVersion().String() + "; latest is " + e.MaxVersion().String()
}

// collectors validates the flags; this source collects nothing itself.
func (c *ciFlags) collectors(_ context.Context, _ *scanFlags) ([]scan.Collector, error) {
	if c.failOnNew && c.baseline == "" {
		return nil, fmt.Errorf("--fail-on-new needs --baseline")
	}
	// A values file that is not there would silently render the chart's
	// defaults: refuse before scanning.
	for _, v := range c.helmValues {
		fi, err := os.Stat(v)
		if err != nil {
			return nil, fmt.Errorf("--helm-values %s: %w", v, errors.Unwrap(err))
		}
		if fi.IsDir() {
			return nil, fmt.Errorf("--helm-values %s: is a directory, want a values file", v)
		}
		if _, err := safefile.Check(v); err != nil {
			return nil, fmt.Errorf("--helm-values %s: %w", v, errors.Unwrap(err))
		}
	}
	if c.helmKubeVersion != "" {
		if _, err := chartutil.ParseKubeVersion(c.helmKubeVersion); err != nil {
			return nil, fmt.Errorf("--helm-kube-version %q: %w", c.helmKubeVersion, err)
		}
	}
	e, err := pss.Default()
	if err != nil {
		return nil, err
	}
	v, err := e.Resolve(c.pssVersion)
	if err != nil {
		return nil, fmt.Errorf("--pss-version: %w", err)
	}
	c.pss = v.String()
	if c.framework != "" {
		fw, err := frameworks.Get(c.framework)
		if err != nil {
			return nil, fmt.Errorf("--framework: %w", err)
		}
		c.fw = fw
	}
	return nil, nil
}

// ciDirHandlers are the Helm and Kustomize handlers; Helm first, so a chart
// that ships a kustomization is rendered as a chart.
func (c *ciFlags) ciDirHandlers(f *scanFlags, paths []string) []manifest.DirHandler {
	ns := c.helmNamespace
	if ns == "" {
		ns = f.namespace
	}
	return []manifest.DirHandler{
		helm.New(c.helmOptions(ns)),
		kustomize.New(kustomize.Options{Roots: paths, DefaultNamespace: f.namespace, AllowRemote: c.kustomizeRemote, MaxFileSize: f.maxFileSize,
			HelmKubeVersion: c.helmKubeVersion, HelmAPIVersions: c.helmAPIVersions}),
	}
}

func (c *ciFlags) helmOptions(ns string) helm.Options {
	return helm.Options{ValueFiles: c.helmValues, Set: c.helmSet, Release: c.helmRelease, Namespace: ns,
		KubeVersion: c.helmKubeVersion, APIVersions: c.helmAPIVersions}
}

// ciContentHandlers recognise `helm template` output (a file or stdin) and
// locate its objects in the chart's templates when they are on disk.
func (c *ciFlags) ciContentHandlers(f *scanFlags) []manifest.ContentHandler {
	ns := c.helmNamespace
	if ns == "" {
		ns = f.namespace
	}
	return []manifest.ContentHandler{helm.RenderedHandler{DefaultNamespace: ns}}
}

// ciPostProcessors: the framework filter first (suppression warnings then
// concern the rules that ran), then suppressions, then the baseline. e is
// the scan's engine: its rules are the ones ignore entries may name.
func (c *ciFlags) ciPostProcessors(f *scanFlags, e *policies.Engine) []scan.PostProcessor {
	// First, so that suppressions and baselines see the final locations.
	out := []scan.PostProcessor{kustomize.PatchLocations{Evaluate: func(ctx context.Context, g *graph.Graph) ([]finding.Finding, error) {
		rules, err := scan.SelectRules(e.Rules(), f.rules, f.skipRules, f.severities)
		if err != nil {
			return nil, err
		}
		rep, err := scan.EvaluateWith(ctx, e, g, rules, enrich.Options{PSSVersion: c.pssVersion})
		if err != nil {
			return nil, err
		}
		return rep.Findings, nil
	}}}
	if c.fw != nil {
		out = append(out, frameworks.Filter{FW: c.fw})
	}
	out = append(out, suppress.New(suppress.Options{
		File:               c.ignoreFile,
		Required:           c.ignoreFile != "",
		NoInline:           c.noInlineIgnores,
		AllowWildcardRules: c.wildcardIgnores,
		NoDefaultWaivers:   c.noDefaultWaivers,
		KnownRules: func() []string {
			ids := make([]string, 0, len(e.Rules()))
			for _, r := range e.Rules() {
				ids = append(ids, r.ID)
				ids = append(ids, r.Aliases...)
			}
			return ids
		},
	}))
	if c.baseline != "" {
		out = append(out, baseline.New(baseline.Options{Path: c.baseline, Formats: f.baselineFormats(e)}))
	}
	if c.fw != nil {
		out = append(out, frameworks.Summary{FW: c.fw, PSSVersion: c.pss})
	}
	return out
}

// writeTableExtras adds to the table report what CI users need to read:
// baseline counts and, with --framework, the per-control summary.
func (c *ciFlags) writeTableExtras(w io.Writer, rep *finding.Report) {
	if c.baseline != "" {
		n := baseline.Counts(rep)
		fmt.Fprintf(w, "baseline %s: %d new, %d updated, %d unchanged, %d absent\n", c.baseline,
			n[baseline.StateNew], n[baseline.StateUpdated], n[baseline.StateUnchanged], n[baseline.StateAbsent])
	}
	for _, fr := range rep.Compliance {
		writeControlSummary(w, fr)
	}
}

// writeControlSummary prints every control of a framework with its result:
// failed, partial and errors first as they need attention, then passed,
// then those kscan does not cover, listed by name.
func writeControlSummary(w io.Writer, fr finding.FrameworkResult) {
	n := fr.Summary
	fmt.Fprintf(w, "\n%s %s: %d controls passed, %d failed, %d partial, %d not covered by kscan",
		fr.Title, fr.Version, n[frameworks.StatusPass], n[frameworks.StatusFail], n[frameworks.StatusPartial], n[frameworks.StatusNotCovered])
	if n[frameworks.StatusError] > 0 {
		fmt.Fprintf(w, ", %d not evaluated (rule errors)", n[frameworks.StatusError])
	}
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "  CONTROL\tSTATUS\tFINDINGS\tRULES\tTITLE")
	order := []string{frameworks.StatusFail, frameworks.StatusError, frameworks.StatusPartial, frameworks.StatusPass, frameworks.StatusNotCovered}
	for _, status := range order {
		for _, s := range fr.Controls {
			if s.Status != status {
				continue
			}
			cnt := fmt.Sprint(s.Findings)
			if s.Suppressed > 0 {
				cnt += fmt.Sprintf(" (+%d suppressed)", s.Suppressed)
			}
			rules := strings.Join(s.Rules, ",")
			if status == frameworks.StatusNotCovered {
				cnt, rules = "-", "-"
			}
			title := s.Title
			if s.Note != "" {
				title += " [" + s.Note + "]"
			}
			fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\n", s.ID, strings.ToUpper(s.Status), cnt, rules, title)
		}
	}
	tw.Flush()
}
