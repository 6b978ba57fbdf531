package policies

import (
	"context"

	"github.com/open-policy-agent/opa/v1/ast"

	"github.com/kscan-io/kscan/internal/memguard"
)

// evalCustom evaluates the --policy rules among rules that are not done yet,
// one at a time, each in its own query and under its own memory watch
// (internal/memguard): a rule that grows the heap by more than the budget
// is stopped and becomes an error naming it, while the other rules keep
// their findings. They run after kscan's own rules and alone, so what the
// heap gained is the rule's. A stop of the scan (ctx) ends the loop; Eval
// then names the rules left.
func (e *Engine) evalCustom(ctx context.Context, in *Input, rules []Rule, results [][]*ast.Term, done []bool) []RuleError {
	var errs []RuleError
	for i, r := range rules {
		if done[i] || !r.Custom {
			continue
		}
		if ctx.Err() != nil {
			return errs
		}
		rctx, stop := memguard.Watch(ctx, "the rule", e.memoryBudget)
		res, err := e.evalQuery(rctx, in, rules[i:i+1])
		exceeded := memguard.Exceeded(rctx)
		stop()
		switch {
		case exceeded != nil:
			errs = append(errs, RuleError{RuleID: r.ID, Err: exceeded})
			done[i] = true
		case err != nil && ctx.Err() != nil:
			return errs
		case err != nil:
			errs = append(errs, RuleError{RuleID: r.ID, Err: err})
			done[i] = true
		default:
			results[i], done[i] = res[0], true
		}
	}
	return errs
}
