package iampolicy

import (
	"strings"
	"time"

	"github.com/kscan-io/kscan/glob"
)

// Tri is a three-valued truth: a condition on a key the evaluator does not
// know (aws:SourceIp without a request) is Unknown, not false.
type Tri int8

const (
	False Tri = iota
	Unknown
	True
)

func and(a, b Tri) Tri {
	if a < b {
		return a
	}
	return b
}

// Context is what is known about a request.
type Context struct {
	// Values by lowercased condition key.
	Values map[string][]string
	// Complete means every key that matters is in Values, so a missing key
	// makes a condition false (as in AWS) instead of Unknown. Trust-policy
	// checks for a given ServiceAccount are complete; questions about what a
	// principal could ever do are not.
	Complete bool
	// Now is the time for aws:CurrentTime and aws:TokenIssueTime; zero
	// leaves date conditions Unknown.
	Now time.Time
}

func (c *Context) lookup(key string) ([]string, bool) {
	if v, ok := c.Values[key]; ok {
		return v, true
	}
	if !c.Now.IsZero() {
		switch key {
		case "aws:currenttime", "aws:tokenissuetime":
			return []string{c.Now.UTC().Format(time.RFC3339)}, true
		}
	}
	return nil, false
}

// Eval evaluates one condition.
func (cond Condition) Eval(ctx *Context) Tri {
	op := cond.Op
	anyValue, allValues := false, false
	if s, ok := strings.CutPrefix(op, "ForAnyValue:"); ok {
		op, anyValue = s, true
	} else if s, ok := strings.CutPrefix(op, "ForAllValues:"); ok {
		op, allValues = s, true
	}
	ifExists := false
	if s, ok := strings.CutSuffix(op, "IfExists"); ok && op != "IfExists" {
		op, ifExists = s, true
	}
	vals, present := ctx.lookup(cond.Key)
	if op == "Null" {
		want := len(cond.Values) > 0 && strings.EqualFold(cond.Values[0], "true")
		if !present && !ctx.Complete {
			return Unknown
		}
		if present == !want {
			return True
		}
		return False
	}
	negated := strings.Contains(op, "Not")
	if !present || len(vals) == 0 {
		switch {
		case ifExists, allValues:
			return True
		case !ctx.Complete:
			return Unknown
		case negated && !anyValue:
			return True
		}
		return False
	}
	match, known := valueMatcher(op)
	if !known {
		return Unknown
	}
	// One request value matches when it matches any condition value (for
	// negated operators: none).
	one := func(v string) bool {
		hit := false
		for _, cv := range cond.Values {
			if match(cv, v) {
				hit = true
				break
			}
		}
		return hit != negated
	}
	if allValues {
		for _, v := range vals {
			if !one(v) {
				return False
			}
		}
		return True
	}
	for _, v := range vals {
		if one(v) {
			return True
		}
	}
	return False
}

// valueMatcher returns how an operator compares a condition value with a
// request value, and whether the operator is understood.
func valueMatcher(op string) (func(cond, req string) bool, bool) {
	base := strings.Replace(op, "Not", "", 1)
	switch base {
	case "StringEquals", "ArnEquals":
		if base == "ArnEquals" {
			return func(c, r string) bool { return glob.Match(c, r) }, true
		}
		return func(c, r string) bool { return c == r }, true
	case "StringEqualsIgnoreCase":
		return strings.EqualFold, true
	case "StringLike", "ArnLike":
		return func(c, r string) bool { return glob.Match(c, r) }, true
	case "Bool":
		return strings.EqualFold, true
	case "DateEquals", "DateGreaterThan", "DateGreaterThanEquals", "DateLessThan", "DateLessThanEquals":
		return func(c, r string) bool {
			ct, ok1 := parseTime(c)
			rt, ok2 := parseTime(r)
			if !ok1 || !ok2 {
				return false
			}
			switch base {
			case "DateEquals":
				return rt.Equal(ct)
			case "DateGreaterThan":
				return rt.After(ct)
			case "DateGreaterThanEquals":
				return !rt.Before(ct)
			case "DateLessThan":
				return rt.Before(ct)
			}
			return !rt.After(ct)
		}, true
	}
	return nil, false
}

func parseTime(s string) (time.Time, bool) {
	for _, layout := range []string{time.RFC3339, "2006-01-02T15:04:05Z0700", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

// conditions evaluates all conditions of a statement (they are ANDed).
func (s *Statement) conditions(ctx *Context) Tri {
	r := True
	for _, c := range s.Conditions {
		r = and(r, c.Eval(ctx))
		if r == False {
			return False
		}
	}
	return r
}

// MatchesAction reports whether the statement applies to a concrete action.
func (s *Statement) MatchesAction(action string) bool {
	action = strings.ToLower(action)
	hit := false
	for _, p := range s.Actions {
		if glob.Match(p, action) {
			hit = true
			break
		}
	}
	return hit != s.NotAction
}

// MatchesResource reports whether the statement applies to a concrete
// resource ARN. A statement without Resource (trust policies) applies to
// the role it is attached to.
func (s *Statement) MatchesResource(arn string) bool {
	if !s.HasResrc {
		return true
	}
	hit := false
	for _, p := range s.Resources {
		if glob.Match(expandVars(p), arn) {
			hit = true
			break
		}
	}
	return hit != s.NotResrc
}

// coversAllResources: the statement applies to every resource.
func (s *Statement) coversAllResources() bool {
	if !s.HasResrc {
		return true
	}
	if s.NotResrc {
		return len(s.Resources) == 0
	}
	for _, p := range s.Resources {
		if resourceCoversAll(p) {
			return true
		}
	}
	return false
}

// coversAllActions: the statement applies to every action.
func (s *Statement) coversAllActions() bool {
	if s.NotAction {
		return len(s.Actions) == 0
	}
	for _, p := range s.Actions {
		if actionCoversAll(p) {
			return true
		}
	}
	return false
}

// coversService: the statement applies to every action of a service
// (probe "iam:*"): an Action pattern that matches the literal probe, or a
// NotAction list none of whose patterns can touch the service.
func (s *Statement) coversService(svc string) bool {
	probe := svc + ":*"
	if !s.NotAction {
		for _, p := range s.Actions {
			if glob.Match(p, probe) {
				return true
			}
		}
		return false
	}
	for _, p := range s.Actions {
		ps, _, _ := strings.Cut(p, ":")
		if glob.Match(ps, svc) {
			return false
		}
	}
	return true
}

// resourceReachable: some resource matched by the statement is one the
// principal could act on for this action. AWS-managed policies
// (arn:aws:iam::aws:...) cannot be changed; IAM actions need an IAM ARN.
func (s *Statement) resourceReachable(action string, selfOnlyExcluded bool) bool {
	if !s.HasResrc || s.NotResrc {
		return true
	}
	isIAM := strings.HasPrefix(action, "iam:")
	for _, p := range s.Resources {
		if selfOnlyExcluded && strings.Contains(strings.ToLower(p), "${aws:username}") {
			continue
		}
		e := expandVars(p)
		if isIAM {
			if !prefixCompatible(e, "arn:aws:iam::") && !prefixCompatible(e, "arn:aws-") {
				continue
			}
			if strings.HasPrefix(e, "arn:aws:iam::aws:") {
				continue
			}
		}
		return true
	}
	return false
}
