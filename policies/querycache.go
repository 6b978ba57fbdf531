package policies

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"
)

// queryCache holds the compiled query of each set of rules evaluated
// together, compiled once per engine: the Pulumi analyzer evaluates the same
// set for every resource. A query is prepared outside the lock, so that
// goroutines preparing different sets (the parallel evaluation prepares one
// per rule) do not wait for each other; callers asking for a set that is
// being prepared wait for that preparation instead of repeating it.
type queryCache struct {
	mu      sync.Mutex
	queries map[string]*cachedQuery
}

// cachedQuery is one set's query; ready is closed once pq or err is set.
type cachedQuery struct {
	ready chan struct{}
	pq    *rego.PreparedEvalQuery
	err   error
}

// get returns the prepared query of rules, preparing it with compiler on
// first use. A failed or abandoned preparation is not cached: the next
// caller tries again.
func (c *queryCache) get(ctx context.Context, compiler *ast.Compiler, rules []Rule) (*rego.PreparedEvalQuery, error) {
	var b strings.Builder
	for _, r := range rules {
		b.WriteString(r.ID)
		b.WriteByte(0)
	}
	key := b.String()
	for {
		c.mu.Lock()
		q, ok := c.queries[key]
		if !ok {
			if c.queries == nil {
				c.queries = map[string]*cachedQuery{}
			}
			q = &cachedQuery{ready: make(chan struct{})}
			c.queries[key] = q
		}
		c.mu.Unlock()
		if !ok {
			c.prepare(ctx, compiler, key, q, rules)
			return q.pq, q.err
		}
		select {
		case <-q.ready:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		if q.err == nil {
			return q.pq, nil
		}
		// The preparation this caller waited for failed (perhaps only
		// because its own context ended): prepare again with ours.
		if err := ctx.Err(); err != nil {
			return nil, err
		}
	}
}

// prepare fills q and wakes its waiters, also when preparation panics (the
// panic goes on to evalQuery's recover).
func (c *queryCache) prepare(ctx context.Context, compiler *ast.Compiler, key string, q *cachedQuery, rules []Rule) {
	q.err = errors.New("preparing the rules' query did not finish")
	defer func() {
		if q.err != nil {
			c.mu.Lock()
			delete(c.queries, key)
			c.mu.Unlock()
		}
		close(q.ready)
	}()
	q.pq, q.err = prepareQuery(ctx, compiler, rules)
}

// prepareQuery compiles one query binding r<i> to the deny set of rules[i].
func prepareQuery(ctx context.Context, compiler *ast.Compiler, rules []Rule) (*rego.PreparedEvalQuery, error) {
	body := make(ast.Body, 0, len(rules))
	for i, r := range rules {
		ref := r.Package.Copy().Append(ast.StringTerm("deny"))
		body = append(body, ast.Equality.Expr(ast.VarTerm(fmt.Sprintf("r%d", i)), ast.NewTerm(ref)))
	}
	pq, err := rego.New(
		rego.Compiler(compiler),
		rego.ParsedQuery(body),
		rego.StrictBuiltinErrors(true),
	).PrepareForEval(ctx)
	if err != nil {
		return nil, err
	}
	return &pq, nil
}
