package policyreport

import (
	"context"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/rest"
)

// What changed since the last run is read from the reports the last run
// left in the cluster: their fail results are the previous findings, keyed
// by (rule, object). A result that fails now and did not then is marked
// with the property "new"; results that failed then and do not now are
// "fixed", counted in an annotation of their namespace's report and listed
// in the job's log.
const (
	// PropertyNew marks a fail result that did not fail in the last run.
	PropertyNew = "new"
	// AnnotationNew and AnnotationFixed count, per report, the results new
	// and fixed since the last run.
	AnnotationNew   = "kscan.io/new-since-last-run"
	AnnotationFixed = "kscan.io/fixed-since-last-run"
)

// Changes is the comparison of one run with the previous one.
type Changes struct {
	// First: no report of an earlier run was found.
	First bool
	// New and Fixed list "rule namespace/Kind/name" of results.
	New, Fixed []string
}

// resultKeyOf identifies a result across runs: its rule and its object.
func resultKeyOf(res map[string]any) (string, bool) {
	rule, _ := res["policy"].(string)
	refs, _ := res["resources"].([]any)
	if rule == "" || len(refs) == 0 {
		return "", false
	}
	m, _ := refs[0].(map[string]any)
	if m == nil {
		return "", false
	}
	ns, _ := m["namespace"].(string)
	kind, _ := m["kind"].(string)
	name, _ := m["name"].(string)
	return rule + " " + ns + "/" + kind + "/" + name, true
}

// PreviousFailures lists the fail results of the reports kscan wrote
// earlier (by label), keyed like resultKeyOf; found is false when there
// are none (a first run).
func PreviousFailures(ctx context.Context, cfg *rest.Config, k Kinds) (fails map[string]string, found bool, err error) {
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return nil, false, err
	}
	fails = map[string]string{}
	sel := metav1.ListOptions{LabelSelector: LabelManagedBy + "=" + ManagedBy}
	for _, res := range []schema.GroupVersionResource{k.Resource, k.ClusterRes} {
		l, err := dyn.Resource(res).List(ctx, sel)
		if err != nil {
			return nil, false, fmt.Errorf("listing the last run's %s: %w", res.Resource, err)
		}
		for _, it := range l.Items {
			found = true
			results, _, _ := unstructured.NestedSlice(it.Object, "results")
			for _, r := range results {
				m, _ := r.(map[string]any)
				if m == nil || m["result"] != "fail" {
					continue
				}
				if key, ok := resultKeyOf(m); ok {
					fails[key] = it.GetNamespace()
				}
			}
		}
	}
	return fails, found, nil
}

// MarkChanges compares the built reports with the previous fail results:
// it sets the "new" property on results that newly fail and the counts
// annotations on each report, and returns the comparison.
func MarkChanges(b *Built, prev map[string]string, first bool) Changes {
	ch := Changes{First: first}
	now := map[string]bool{}
	newPerNS := map[string]int{}
	for _, o := range b.Objects {
		results, _, _ := unstructured.NestedSlice(o.Object, "results")
		for i, r := range results {
			m, _ := r.(map[string]any)
			if m == nil || m["result"] != "fail" {
				continue
			}
			key, ok := resultKeyOf(m)
			if !ok {
				continue
			}
			now[key] = true
			if first {
				continue
			}
			if _, was := prev[key]; !was {
				props, _ := m["properties"].(map[string]any)
				if props == nil {
					props = map[string]any{}
				}
				props[PropertyNew] = "true"
				m["properties"] = props
				results[i] = m
				ch.New = append(ch.New, key)
				newPerNS[o.GetNamespace()]++
			}
		}
		_ = unstructured.SetNestedSlice(o.Object, results, "results")
	}
	fixedPerNS := map[string]int{}
	if !first {
		for key, ns := range prev {
			if !now[key] {
				ch.Fixed = append(ch.Fixed, key)
				fixedPerNS[ns]++
			}
		}
		for _, o := range b.Objects {
			ann := o.GetAnnotations()
			if ann == nil {
				ann = map[string]string{}
			}
			ann[AnnotationNew] = strconv.Itoa(newPerNS[o.GetNamespace()])
			ann[AnnotationFixed] = strconv.Itoa(fixedPerNS[o.GetNamespace()])
			o.SetAnnotations(ann)
		}
	}
	sort.Strings(ch.New)
	sort.Strings(ch.Fixed)
	return ch
}

// maxListed bounds the results named in the log summary.
const maxListed = 20

// Log writes the comparison as the job's log summary.
func (c Changes) Log(w io.Writer) {
	if w == nil {
		return
	}
	if c.First {
		fmt.Fprintln(w, "kscan: first run: no report of an earlier run in the cluster; the next run reports what changed")
		return
	}
	fmt.Fprintf(w, "kscan: since the last run: %d new, %d fixed\n", len(c.New), len(c.Fixed))
	list := func(word string, keys []string) {
		for i, k := range keys {
			if i == maxListed {
				fmt.Fprintf(w, "  … and %d more %s\n", len(keys)-maxListed, word)
				break
			}
			fmt.Fprintf(w, "  %s %s\n", word, strings.TrimSpace(k))
		}
	}
	list("new", c.New)
	list("fixed", c.Fixed)
}
