package policyreport

import (
	"fmt"
	"io"

	"sigs.k8s.io/yaml"

	"github.com/kscan-io/kscan/finding"
	"github.com/kscan-io/kscan/report"
)

// Writer renders the report objects of api as a YAML stream, offline
// (kscan scan --format policyreport|openreports): every Kubernetes object
// of the scan, from files, Pulumi state or clusters, with fail, skip and
// pass results, ready for kubectl apply. Results carry no timestamp, so
// that the same input gives the same bytes; the cap is reported in the
// annotations and in a comment at the top.
func Writer(api string) report.Writer {
	return func(w io.Writer, r *finding.Report, o report.Options) error {
		b, err := Build(nil, r, Options{API: api, Offline: true, MaxResults: o.MaxResults})
		if err != nil {
			return err
		}
		if _, err := fmt.Fprintf(w, "# %s reports of kscan %s: %d object(s); apply with kubectl apply -f (CRDs: deploy/crds)\n", b.Kinds.Group, r.ToolVersion, len(b.Objects)); err != nil {
			return err
		}
		for _, n := range CapWarnings(b, o.MaxResults) {
			if _, err := fmt.Fprintf(w, "# warning: %s\n", n.Message); err != nil {
				return err
			}
		}
		for _, obj := range b.Objects {
			data, err := yaml.Marshal(obj.Object)
			if err != nil {
				return fmt.Errorf("encoding %s %s: %w", obj.GetKind(), reportLabel(obj.GetNamespace()), err)
			}
			if _, err := fmt.Fprintf(w, "---\n%s", data); err != nil {
				return err
			}
		}
		return nil
	}
}

// Formats lists the offline formats this package provides, for
// report.Set.With.
func Formats() map[string]report.Writer {
	return map[string]report.Writer{APIPolicyReport: Writer(APIPolicyReport), APIOpenReports: Writer(APIOpenReports)}
}
