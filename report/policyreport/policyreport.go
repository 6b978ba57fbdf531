// Package policyreport publishes a scan of a live cluster into that cluster
// as wgpolicyk8s.io/v1alpha2 PolicyReport (one per namespace) and
// ClusterPolicyReport objects, or as openreports.io/v1alpha1 Report and
// ClusterReport objects, where Kubernetes tools (Policy Reporter, Kyverno's
// UI, kubectl get polr) already look for them. Objects are written with
// server-side apply, so each run updates them in place; reports of a
// previous run that no longer have results are deleted.
package policyreport

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/rest"

	"github.com/kscan-io/kscan/finding"
	"github.com/kscan-io/kscan/graph"
	"github.com/kscan-io/kscan/policies"
)

// Report APIs.
const (
	APIPolicyReport = "policyreport" // wgpolicyk8s.io/v1alpha2
	APIOpenReports  = "openreports"  // openreports.io/v1alpha1
)

// Labels and names every written object carries, for selection and garbage
// collection: kubectl get polr -A -l app.kubernetes.io/managed-by=kscan.
const (
	LabelManagedBy    = "app.kubernetes.io/managed-by"
	ManagedBy         = "kscan"
	LabelScope        = "kscan.io/scope"
	AnnotationTotal   = "kscan.io/results-total"
	AnnotationDropped = "kscan.io/results-dropped"
	// AnnotationPassDropped counts the pass results dropped by the cap.
	AnnotationPassDropped = "kscan.io/pass-results-dropped"
	ReportName            = "kscan"
	FieldManager          = "kscan"
	Source                = "kscan"
	// DefaultMaxResults caps the results of one report object so that a
	// huge namespace cannot produce an object etcd refuses (1.5 MiB).
	DefaultMaxResults = 1000
)

// Kinds names the API objects of one report API.
type Kinds struct {
	APIVersion           string
	Group                string
	Kind, ClusterKind    string
	Resource, ClusterRes schema.GroupVersionResource
}

// KindsOf returns the objects of api ("policyreport" or "openreports").
func KindsOf(api string) (Kinds, error) {
	switch api {
	case "", APIPolicyReport, "wgpolicyk8s", "wgpolicyk8s.io":
		gv := schema.GroupVersion{Group: "wgpolicyk8s.io", Version: "v1alpha2"}
		return Kinds{APIVersion: gv.String(), Kind: "PolicyReport", ClusterKind: "ClusterPolicyReport",
			Resource: gv.WithResource("policyreports"), ClusterRes: gv.WithResource("clusterpolicyreports"), Group: gv.Group}, nil
	case APIOpenReports, "openreports.io":
		gv := schema.GroupVersion{Group: "openreports.io", Version: "v1alpha1"}
		return Kinds{APIVersion: gv.String(), Kind: "Report", ClusterKind: "ClusterReport",
			Resource: gv.WithResource("reports"), ClusterRes: gv.WithResource("clusterreports"), Group: gv.Group}, nil
	}
	return Kinds{}, fmt.Errorf("unknown report API %q (want policyreport or openreports)", api)
}

// Options configures Build and Write.
type Options struct {
	// API is "policyreport" (default) or "openreports".
	API string
	// Cluster is the scanned cluster's name: only its objects are reported.
	Cluster string
	// Offline reports every Kubernetes object of the scan, from files,
	// Pulumi state or clusters (kscan scan --format policyreport), instead
	// of only those of Cluster, and stamps no timestamp (the same input
	// gives the same bytes).
	Offline bool
	// MaxResults caps the fail and skip results of one report object, and
	// separately its pass results (0: DefaultMaxResults).
	MaxResults int
	// Now stamps the results (default time.Now).
	Now func() time.Time
	// SnapshotNamespace, when set, is where the graph snapshot ConfigMap is
	// stored (see snapshot.go).
	SnapshotNamespace string
	// Snapshot encodes the graph for the next run (default: gzip JSON of
	// the cluster's nodes).
	Snapshot SnapshotFunc
}

// Built is the set of report objects of one scan.
type Built struct {
	Kinds   Kinds
	Objects []*unstructured.Unstructured
	// Capped lists, per report object ("<ns>/kscan" or "kscan"), how many
	// fail and skip results were dropped by MaxResults; CappedPass how many
	// pass results.
	Capped, CappedPass map[string]int
}

type resultKey struct{ rule, resource string }

// Build turns the scan's results on Kubernetes objects into report
// objects, sorted by namespace (the cluster-scoped report last): a fail
// (or, when every finding is waived, skip) result per (rule, object) with
// findings, and a pass result per (rule, object) the rule evaluated without
// a finding (finding.Report.Evaluated). Objects are described by
// rep.Objects, or read from g when the report has none.
func Build(g *graph.Graph, rep *finding.Report, opts Options) (*Built, error) {
	kinds, err := KindsOf(opts.API)
	if err != nil {
		return nil, err
	}
	if opts.MaxResults <= 0 {
		opts.MaxResults = DefaultMaxResults
	}
	now := time.Now
	if opts.Now != nil {
		now = opts.Now
	}
	ts := map[string]any{"seconds": now().Unix(), "nanos": int64(0)}
	stamp := func(res map[string]any) map[string]any {
		if !opts.Offline {
			res["timestamp"] = ts
		}
		return res
	}

	objects := rep.Objects
	if objects == nil && g != nil {
		objects = policies.ObjectRefs(g)
	}
	inScope := func(id string) (finding.ObjectRef, bool) {
		o, ok := objects[id]
		if !ok || o.Kind == "" || o.Name == "" {
			return o, false
		}
		if opts.Offline {
			return o, true
		}
		return o, o.Location.Cluster == opts.Cluster &&
			(o.Location.Kind == string(graph.SourceCluster) || o.Location.Kind == string(graph.SourceDerived))
	}
	rules := map[string]finding.Rule{}
	for _, r := range rep.Rules {
		rules[r.ID] = r
	}

	// One result per (rule, resource): several findings of one rule on one
	// object (one per container) become one result with every message.
	type group struct {
		obj      finding.ObjectRef
		findings []finding.Finding
	}
	groups := map[resultKey]*group{}
	for _, f := range rep.Findings {
		o, ok := inScope(f.Resource)
		if !ok {
			continue
		}
		k := resultKey{f.RuleID, f.Resource}
		if groups[k] == nil {
			groups[k] = &group{obj: o}
		}
		groups[k].findings = append(groups[k].findings, f)
	}
	perNS := map[string][]map[string]any{}
	passNS := map[string][]map[string]any{}
	sevOf := map[string]int{}
	for k, gr := range groups {
		fs := gr.findings
		sort.Slice(fs, func(i, j int) bool { return fs[i].Message < fs[j].Message })
		first := fs[0]
		msgs := make([]string, 0, len(fs))
		active := 0
		for _, f := range fs {
			msgs = append(msgs, f.Message)
			if f.Suppression == nil {
				active++
			}
		}
		result := "fail"
		props := map[string]any{"title": first.Title, "fingerprint": first.Fingerprint}
		if active == 0 {
			// Every finding waived (kscan.io/ignore or an ignore file): kept
			// visible with the justification, not counted as a failure.
			result = "skip"
			props["suppressed"] = first.Suppression.Justification
		}
		if len(fs) > 1 {
			props["findings"] = strconv.Itoa(len(fs))
		}
		if r, ok := rules[k.rule]; ok && r.Remediation != "" {
			props["remediation"] = strings.TrimSpace(r.Remediation)
		} else if first.Remediation != "" {
			props["remediation"] = strings.TrimSpace(first.Remediation)
		}
		if first.HelpURI != "" {
			props["helpUri"] = first.HelpURI
		}
		fw := make([]string, 0, len(first.Frameworks))
		for name := range first.Frameworks {
			fw = append(fw, name)
		}
		sort.Strings(fw)
		for _, name := range fw {
			props[name] = strings.Join(first.Frameworks[name], ",")
		}
		res := stamp(map[string]any{
			"source":     Source,
			"policy":     k.rule,
			"rule":       k.rule,
			"category":   category(k.rule),
			"severity":   severity(first.Severity),
			"result":     result,
			"scored":     true,
			"message":    strings.Join(msgs, "; "),
			"resources":  []any{objectRef(gr.obj)},
			"properties": props,
		})
		ns := gr.obj.Namespace
		perNS[ns] = append(perNS[ns], res)
		// A rule's results sort by the highest severity among its findings
		// (a finding may lower or raise its own), whatever the order the
		// groups are visited in.
		if r, seen := sevOf[k.rule]; !seen || finding.SeverityRank(first.Severity) > r {
			sevOf[k.rule] = finding.SeverityRank(first.Severity)
		}
	}
	// Pass results: what Policy Reporter's compliance views count. Kept
	// short (no remediation): there are many.
	for _, r := range rep.Rules {
		passed, ok := rep.Passed(r.ID)
		if !ok {
			continue
		}
		if _, seen := sevOf[r.ID]; !seen {
			sevOf[r.ID] = finding.SeverityRank(r.Severity)
		}
		for _, id := range passed {
			o, ok := inScope(id)
			if !ok {
				continue
			}
			passNS[o.Namespace] = append(passNS[o.Namespace], stamp(map[string]any{
				"source":    Source,
				"policy":    r.ID,
				"rule":      r.ID,
				"category":  category(r.ID),
				"severity":  severity(r.Severity),
				"result":    "pass",
				"scored":    true,
				"message":   r.Title + ": passed",
				"resources": []any{objectRef(o)},
			}))
		}
	}

	b := &Built{Kinds: kinds, Capped: map[string]int{}, CappedPass: map[string]int{}}
	nsSet := map[string]bool{}
	for ns := range perNS {
		nsSet[ns] = true
	}
	for ns := range passNS {
		nsSet[ns] = true
	}
	namespaces := make([]string, 0, len(nsSet))
	for ns := range nsSet {
		namespaces = append(namespaces, ns)
	}
	// Namespaced reports first, then the cluster report.
	sort.Slice(namespaces, func(i, j int) bool {
		if (namespaces[i] == "") != (namespaces[j] == "") {
			return namespaces[j] == ""
		}
		return namespaces[i] < namespaces[j]
	})
	order := func(results []map[string]any) {
		sort.Slice(results, func(i, j int) bool {
			a, c := results[i], results[j]
			if a["result"] != c["result"] {
				return a["result"] == "fail"
			}
			sa, sc := sevOf[a["policy"].(string)], sevOf[c["policy"].(string)]
			if sa != sc {
				return sa > sc
			}
			if a["policy"] != c["policy"] {
				return a["policy"].(string) < c["policy"].(string)
			}
			if ra, rc := refString(a), refString(c); ra != rc {
				return ra < rc
			}
			// Two objects of one namespace, kind and name (two API groups,
			// or read from two files): by API version, message, then
			// fingerprint, so that the order is total.
			if va, vc := refField(a, "apiVersion"), refField(c, "apiVersion"); va != vc {
				return va < vc
			}
			if a["message"] != c["message"] {
				return a["message"].(string) < c["message"].(string)
			}
			return fingerprintOf(a) < fingerprintOf(c)
		})
	}
	for _, ns := range namespaces {
		results, passes := perNS[ns], passNS[ns]
		order(results)
		order(passes)
		total := len(results) + len(passes)
		annotations := map[string]any{AnnotationTotal: strconv.Itoa(total)}
		// Failures and passes are capped separately, so that passes never
		// push a failure out.
		if len(results) > opts.MaxResults {
			b.Capped[reportLabel(ns)] = len(results) - opts.MaxResults
			annotations[AnnotationDropped] = strconv.Itoa(len(results) - opts.MaxResults)
			results = results[:opts.MaxResults]
		}
		if len(passes) > opts.MaxResults {
			b.CappedPass[reportLabel(ns)] = len(passes) - opts.MaxResults
			annotations[AnnotationPassDropped] = strconv.Itoa(len(passes) - opts.MaxResults)
			passes = passes[:opts.MaxResults]
		}
		summary := map[string]any{"pass": int64(0), "fail": int64(0), "warn": int64(0), "error": int64(0), "skip": int64(0)}
		items := make([]any, 0, len(results)+len(passes))
		for _, r := range append(results, passes...) {
			summary[r["result"].(string)] = summary[r["result"].(string)].(int64) + 1
			items = append(items, r)
		}
		meta := map[string]any{
			"name":        ReportName,
			"labels":      map[string]any{LabelManagedBy: ManagedBy, LabelScope: scopeOf(ns)},
			"annotations": annotations,
		}
		kind := kinds.ClusterKind
		if ns != "" {
			meta["namespace"] = ns
			kind = kinds.Kind
		}
		b.Objects = append(b.Objects, &unstructured.Unstructured{Object: map[string]any{
			"apiVersion": kinds.APIVersion,
			"kind":       kind,
			"metadata":   meta,
			"summary":    summary,
			"results":    items,
		}})
	}
	return b, nil
}

// objectRef is a result's resource: an ObjectReference, with the uid when
// the object came from a cluster.
func objectRef(o finding.ObjectRef) map[string]any {
	apiVersion := o.APIVersion
	if apiVersion == "" {
		apiVersion = "v1" // derived objects (an implied Namespace) are core objects
	}
	ref := map[string]any{"apiVersion": apiVersion, "kind": o.Kind, "name": o.Name}
	if o.Namespace != "" {
		ref["namespace"] = o.Namespace
	}
	if o.UID != "" {
		ref["uid"] = o.UID
	}
	return ref
}

func refString(r map[string]any) string {
	return refField(r, "namespace") + "/" + refField(r, "kind") + "/" + refField(r, "name")
}

func scopeOf(ns string) string {
	if ns == "" {
		return "cluster"
	}
	return "namespace"
}

func reportLabel(ns string) string {
	if ns == "" {
		return ReportName
	}
	return ns + "/" + ReportName
}

// category is the rule's domain, as Policy Reporter groups results.
func category(ruleID string) string {
	domain, _, _ := strings.Cut(ruleID, "/")
	switch domain {
	case "k8s":
		return "Kubernetes"
	case "rbac":
		return "RBAC"
	case "path":
		return "Attack paths"
	case "iam":
		return "IAM"
	case "registry":
		return "Registry"
	case "pulumi":
		return "Pulumi"
	}
	return domain
}

// severity maps kscan's severities onto the PolicyReport enum (the same
// names; anything unknown becomes info).
func severity(s string) string {
	switch s {
	case finding.Critical, finding.High, finding.Medium, finding.Low, finding.Info:
		return s
	}
	return finding.Info
}

// Write applies the built reports with server-side apply and deletes the
// reports of earlier runs (same labels) that have no results now.
func Write(ctx context.Context, cfg *rest.Config, b *Built) error {
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return err
	}
	keep := map[string]bool{}
	for _, o := range b.Objects {
		res := b.Kinds.ClusterRes
		var client dynamic.ResourceInterface = dyn.Resource(res)
		if ns := o.GetNamespace(); ns != "" {
			res = b.Kinds.Resource
			client = dyn.Resource(res).Namespace(ns)
		}
		if _, err := client.Apply(ctx, o.GetName(), o, metav1.ApplyOptions{FieldManager: FieldManager, Force: true}); err != nil {
			return applyError(b.Kinds, o, err)
		}
		keep[o.GetNamespace()+"/"+o.GetName()] = true
	}
	sel := metav1.ListOptions{LabelSelector: LabelManagedBy + "=" + ManagedBy}
	for _, res := range []schema.GroupVersionResource{b.Kinds.Resource, b.Kinds.ClusterRes} {
		l, err := dyn.Resource(res).List(ctx, sel)
		if err != nil {
			return fmt.Errorf("listing %s to remove stale reports: %w", res.Resource, err)
		}
		for _, it := range l.Items {
			if keep[it.GetNamespace()+"/"+it.GetName()] {
				continue
			}
			var client dynamic.ResourceInterface = dyn.Resource(res)
			if ns := it.GetNamespace(); ns != "" {
				client = dyn.Resource(res).Namespace(ns)
			}
			if err := client.Delete(ctx, it.GetName(), metav1.DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) {
				return fmt.Errorf("deleting stale %s %s/%s: %w", it.GetKind(), it.GetNamespace(), it.GetName(), err)
			}
		}
	}
	return nil
}

func applyError(k Kinds, o *unstructured.Unstructured, err error) error {
	where := o.GetKind() + " " + reportLabel(o.GetNamespace())
	if apierrors.IsNotFound(err) && o.GetNamespace() == "" || isNoKind(err) {
		return fmt.Errorf("writing %s: the %s CRDs are not installed (kubectl apply -k deploy/crds): %w", where, k.Group, err)
	}
	return fmt.Errorf("writing %s: %w", where, err)
}

func isNoKind(err error) bool {
	return apierrors.IsNotFound(err) && strings.Contains(err.Error(), "the server could not find the requested resource")
}

// refField is a field of a result's (first) resource reference.
func refField(r map[string]any, name string) string {
	m := r["resources"].([]any)[0].(map[string]any)
	v, _ := m[name].(string)
	return v
}

// fingerprintOf is a failing result's fingerprint ("" for a pass).
func fingerprintOf(r map[string]any) string {
	props, _ := r["properties"].(map[string]any)
	f, _ := props["fingerprint"].(string)
	return f
}
