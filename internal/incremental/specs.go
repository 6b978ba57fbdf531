package incremental

import (
	"context"
	"fmt"

	"github.com/kscan-io/kscan/enrich"
	"github.com/kscan-io/kscan/glob"
	"github.com/kscan-io/kscan/graph"
	"github.com/kscan-io/kscan/policies"
	"github.com/kscan-io/kscan/query"
	"github.com/kscan-io/kscan/scan"
)

// QueryOptions configure Query.
type QueryOptions struct {
	// Name is a named query's name; empty for the ad-hoc Expr.
	Name, Expr string
	Params     map[string]string
	Enrich     enrich.Options
	// Prepare, when set, runs on every graph before its facts (kscan
	// query's redaction of Secret values).
	Prepare func(g *graph.Graph)
	// Columns, when set, receives the columns of the first answer.
	Columns func([]string)
}

// Query is the Spec of a query. A named query declaring custom.watch is
// re-evaluated per namespace (namespace) or only on changes of its types;
// an ad-hoc expression or an undeclared named query on every change over
// the whole cluster, since nothing says which namespace its rows belong to.
func Query(e *query.Engine, o QueryOptions) (Spec, error) {
	var w policies.Watch
	var col string
	why := "an ad-hoc expression says nothing of what its rows depend on"
	if o.Name != "" {
		q, ok := e.Lookup(o.Name)
		if !ok {
			return Spec{}, fmt.Errorf("unknown query %q (see kscan query --list)", o.Name)
		}
		w, col, why = q.Watch, q.WatchKey, ""
		if !w.Declared() {
			why = "query " + o.Name + " declares no custom.watch"
		}
	}
	first := true
	return Spec{
		Why:   why,
		Local: w.Namespace,
		Eval: func(ctx context.Context, g *graph.Graph, _ bool) ([]map[string]any, error) {
			if o.Prepare != nil {
				o.Prepare(g)
			}
			in, err := scan.Input(ctx, g, o.Enrich, nil)
			if err != nil {
				return nil, err
			}
			var res *query.Result
			if o.Name != "" {
				res, err = e.RunNamed(ctx, in, o.Name, o.Params)
			} else {
				res, err = e.Run(ctx, in, o.Expr, o.Params)
			}
			if err != nil {
				return nil, err
			}
			if first && o.Columns != nil {
				o.Columns(res.Columns)
			}
			first = false
			return res.Rows, nil
		},
		Object: func(r map[string]any) (string, bool) {
			if !w.Namespace {
				return "", false
			}
			id, _ := r[col].(string)
			return id, true
		},
		Full: func(typ string) bool { return matchAny(w.Types, typ) },
	}, nil
}

// ScanColumns are the columns of kscan scan --watch's rows.
var ScanColumns = []string{"severity", "rule", "resource", "message", "location"}

// Scan is the Spec of rules' findings (kscan scan --watch): the rules
// declaring watch: namespace are evaluated on the changed namespaces, those
// declaring types keep their findings unless an object of one of their
// types changed. An undeclared rule sends every change down the full path,
// except one whose applies_to names only node types read by a collector
// (policies.Rule.JudgedTypes, e.g. registry/mutable-tags on ECR and Pulumi
// repositories): while the last full evaluation found no such node it has
// nothing to judge, and only a change of one of those types can give it
// one, which takes the full path.
func Scan(engine *policies.Engine, rules []policies.Rule, opts enrich.Options) Spec {
	var local []policies.Rule
	localIDs := map[string]bool{}
	var types []string
	var dormant []policies.Rule // undeclared, judging only collected nodes of some types
	why := ""
	for _, r := range rules {
		switch {
		case r.Watch.Namespace:
			local = append(local, r)
			localIDs[r.ID] = true
		case len(r.Watch.Types) > 0:
			types = append(types, r.Watch.Types...)
		default:
			if ts, ok := r.JudgedTypes(); ok {
				dormant = append(dormant, r)
				types = append(types, ts...)
			} else if why == "" {
				why = "rule " + r.ID + " declares no custom.watch"
			}
		}
	}
	awake := "" // a dormant rule that had something to judge at the last full evaluation
	return Spec{
		Why:   why,
		Local: len(local) > 0,
		Now: func() string {
			if awake == "" {
				return ""
			}
			return "rule " + awake + " declares no custom.watch and has objects to judge"
		},
		Eval: func(ctx context.Context, g *graph.Graph, partial bool) ([]map[string]any, error) {
			rs := rules
			if partial {
				rs = local
			}
			rep, err := scan.EvaluateWith(ctx, engine, g, rs, opts)
			if err != nil {
				return nil, err
			}
			if !partial {
				awake = firstJudging(dormant, g)
			}
			rows := make([]map[string]any, 0, len(rep.Findings))
			for _, fd := range rep.Findings {
				rows = append(rows, map[string]any{
					"severity": fd.Severity, "rule": fd.RuleID, "resource": fd.Resource,
					"message": fd.Message, "location": fd.Location.String(), "fingerprint": fd.Fingerprint,
				})
			}
			return rows, nil
		},
		Object: func(r map[string]any) (string, bool) {
			rule, _ := r["rule"].(string)
			if !localIDs[rule] {
				return "", false
			}
			id, _ := r["resource"].(string)
			return id, true
		},
		Full: func(typ string) bool { return matchAny(types, typ) },
	}
}

// firstJudging gives the id of the first rule that may judge a node of g
// (after the enrichers ran on it), "" when none may.
func firstJudging(rules []policies.Rule, g *graph.Graph) string {
	if len(rules) == 0 {
		return ""
	}
	nodes := g.Nodes()
	for _, r := range rules {
		for _, n := range nodes {
			if r.MayJudge(n) {
				return r.ID
			}
		}
	}
	return ""
}

// matchAny: typ matches one of the declared types (globs: "aws:*").
func matchAny(patterns []string, typ string) bool {
	for _, p := range patterns {
		if glob.Match(p, typ) {
			return true
		}
	}
	return false
}
