package policies

import (
	"context"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"

	"github.com/kscan-io/kscan/finding"
)

// RuleError is a rule that failed to evaluate.
type RuleError struct {
	RuleID string
	Err    error
}

func (r RuleError) Error() string { return fmt.Sprintf("rule %s failed: %v", r.RuleID, r.Err) }

// Eval runs the given rules against the input and returns their findings,
// sorted, and the rules that failed. When evaluation fails, rules are
// evaluated one by one so that one broken rule does not hide the others'
// findings.
func (e *Engine) Eval(ctx context.Context, in *Input, rules []Rule) ([]finding.Finding, []RuleError, error) {
	parent := ctx
	ctx, cancel := context.WithTimeout(ctx, e.timeout)
	defer cancel()
	if len(rules) == 0 {
		return nil, nil, nil
	}
	results, done, err := e.evalParallel(ctx, in, rules)
	var ruleErrs []RuleError
	if err != nil && ctx.Err() == nil {
		for i, r := range rules {
			if done[i] || r.Custom {
				continue
			}
			one, err := e.evalQuery(ctx, in, []Rule{r})
			if err != nil {
				if ctx.Err() != nil {
					break
				}
				ruleErrs = append(ruleErrs, RuleError{RuleID: r.ID, Err: err})
				done[i] = true
				continue
			}
			results[i], done[i] = one[0], true
		}
	}
	ruleErrs = append(ruleErrs, e.evalCustom(ctx, in, rules, results, done)...)
	if ctx.Err() != nil {
		// Stopped (--timeout, a signal, or the engine's own limit): the
		// rules that finished keep their findings, each other rule is an
		// error naming why, so the report is written for what finished.
		why := fmt.Errorf("not evaluated: rule evaluation exceeded its time limit (%s)", e.timeout)
		if parent.Err() != nil {
			why = fmt.Errorf("not evaluated: the scan was stopped before the rule finished (%v: %v)", context.Cause(parent), parent.Err())
			if context.Cause(parent) == parent.Err() {
				why = fmt.Errorf("not evaluated: the scan was stopped before the rule finished (%v)", parent.Err())
			}
		}
		for i, r := range rules {
			if !done[i] {
				results[i] = nil
				ruleErrs = append(ruleErrs, RuleError{RuleID: r.ID, Err: why})
			}
		}
	}
	n := 0
	for _, res := range results {
		n += len(res)
	}
	out := make([]finding.Finding, 0, n)
	for i, r := range rules {
		for _, raw := range results[i] {
			f, err := e.toFinding(r, raw, in)
			if err != nil {
				ruleErrs = append(ruleErrs, RuleError{RuleID: r.ID, Err: err})
				continue
			}
			out = append(out, f)
		}
	}
	finding.Sort(out)
	out = finding.Dedupe(out)
	return out, append(ruleErrs, identityClashes(out)...), nil
}

// parallelMinNodes is the input size from which rules are spread over the
// processors; below it one query is cheaper than several.
const parallelMinNodes = 2000

// evalParallel evaluates each rule as its own query, on one goroutine per
// processor taking the next rule from a shared queue, over the same input,
// which OPA only reads. Rules share nothing costly (helpers such as the
// workload index are cheap next to the rules themselves), so the queue
// balances the processors whatever the mix of expensive rules.
func (e *Engine) evalParallel(ctx context.Context, in *Input, rules []Rule) ([][]*ast.Term, []bool, error) {
	done := make([]bool, len(rules))
	workers := min(runtime.GOMAXPROCS(0), len(rules))
	results := make([][]*ast.Term, len(rules))
	if workers <= 1 || len(in.nodes) < parallelMinNodes {
		// The built-in rules in one query; --policy rules are left to
		// evalCustom.
		var builtin []int
		for i, r := range rules {
			if !r.Custom {
				builtin = append(builtin, i)
			}
		}
		if len(builtin) > 0 {
			sub := make([]Rule, len(builtin))
			for j, i := range builtin {
				sub[j] = rules[i]
			}
			res, err := e.evalQuery(ctx, in, sub)
			if err != nil {
				return results, done, err
			}
			for j, i := range builtin {
				results[i], done[i] = res[j], true
			}
		}
		return results, done, nil
	}
	var next atomic.Int64
	var firstErr error
	var mu sync.Mutex
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= len(rules) || ctx.Err() != nil {
					return
				}
				if rules[i].Custom {
					continue // evalCustom
				}
				res, err := e.evalQuery(ctx, in, rules[i:i+1])
				if err != nil {
					mu.Lock()
					if firstErr == nil {
						firstErr = err
					}
					mu.Unlock()
					return
				}
				results[i] = res[0]
				done[i] = true
			}
		}()
	}
	wg.Wait()
	if firstErr != nil {
		return results, done, firstErr
	}
	if err := ctx.Err(); err != nil {
		return results, done, err
	}
	return results, done, nil
}

// keepTerms hands results over as Rego terms: findings are read straight
// from them instead of being converted to Go values first.
var keepTerms = rego.EvalGenerateJSON(func(t *ast.Term, _ *rego.EvalContext) (any, error) { return t, nil })

// evalQuery evaluates rules in one query and returns the elements of each
// rule's deny set, in Rego's (sorted) set order.
func (e *Engine) evalQuery(ctx context.Context, in *Input, rules []Rule) (res [][]*ast.Term, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("internal error evaluating rules: %v", p)
		}
	}()
	pq, err := e.queries.get(ctx, e.compiler, rules)
	if err != nil {
		return nil, err
	}
	rs, err := pq.Eval(ctx, rego.EvalParsedInput(in.Value), keepTerms)
	if err != nil {
		return nil, err
	}
	res = make([][]*ast.Term, len(rules))
	if len(rs) == 0 {
		return res, nil
	}
	for i := range rules {
		t, _ := rs[0].Bindings[fmt.Sprintf("r%d", i)].(*ast.Term)
		if t == nil {
			continue
		}
		switch v := t.Value.(type) {
		case ast.Set:
			res[i] = v.Slice()
		case *ast.Array:
			for j := 0; j < v.Len(); j++ {
				res[i] = append(res[i], v.Elem(j))
			}
		}
	}
	return res, nil
}

// identityClashes reports findings of one rule that share a fingerprint but
// say different things: the rule fires more than once on a resource without
// a discriminator telling the findings apart, so baselines and code-scanning
// alerts could not follow them.
func identityClashes(fs []finding.Finding) []RuleError {
	seen := make(map[string]int, len(fs))
	var errs []RuleError
	reported := map[string]bool{}
	for i, f := range fs {
		j, ok := seen[f.Fingerprint]
		if !ok {
			seen[f.Fingerprint] = i
			continue
		}
		if reported[f.RuleID+"\x00"+f.Resource] {
			continue
		}
		reported[f.RuleID+"\x00"+f.Resource] = true
		errs = append(errs, RuleError{RuleID: f.RuleID, Err: fmt.Errorf(
			"two findings on %s have the same identity (%q and %q): give each deny element a distinct \"discriminator\"",
			f.Resource, fs[j].Message, f.Message)})
	}
	return errs
}
