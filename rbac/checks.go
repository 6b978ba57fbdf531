package rbac

import "sort"

// Check is one permission RBAC rules ask about, as a request the API
// server's authorizer would judge. ID is how rules name it ("get secrets",
// "create pods/exec").
type Check struct {
	ID    string
	Attrs Attributes
}

const rbacGroup = "rbac.authorization.k8s.io"

// Checks are the permissions the rbac/* rules judge. Each is answered for
// every role by RuleAllows, the matcher who-can, access and Allows use, so
// that wildcards, subresources and resourceNames mean the same everywhere.
var Checks = buildChecks()

func buildChecks() []Check {
	var out []Check
	add := func(verb, group, resource, sub string) {
		id := verb + " " + resource
		if sub != "" {
			id += "/" + sub
		}
		if group != "" {
			id += "." + group
		}
		out = append(out, Check{ID: id, Attrs: Attributes{Verb: verb, APIGroup: group, Resource: resource, Subresource: sub}})
	}
	for _, v := range []string{"get", "list", "watch"} {
		add(v, "", "secrets", "")
	}
	add("create", "", "pods", "exec")
	add("create", "", "pods", "attach")
	for _, v := range []string{"get", "list", "watch", "create", "update", "patch", "delete", "deletecollection"} {
		add(v, "", "nodes", "proxy")
	}
	// Escalation: rewrite RBAC, grant what one does not hold, act as
	// someone else, mint tokens.
	for _, v := range []string{"escalate", "bind"} {
		add(v, rbacGroup, "roles", "")
		add(v, rbacGroup, "clusterroles", "")
	}
	for _, v := range []string{"create", "update", "patch"} {
		for _, r := range []string{"roles", "clusterroles", "rolebindings", "clusterrolebindings"} {
			add(v, rbacGroup, r, "")
		}
	}
	for _, r := range []string{"users", "groups", "serviceaccounts"} {
		add("impersonate", "", r, "")
	}
	add("impersonate", "authentication.k8s.io", "userextras", "scopes")
	add("impersonate", "authentication.k8s.io", "uids", "")
	add("create", "", "serviceaccounts", "token")
	// Everything: a rule with "*" verbs, API groups and resources (the
	// authorizer reads a literal "*" in a request as nothing but itself).
	out = append(out, Check{ID: CheckEverything, Attrs: Attributes{Verb: "*", APIGroup: "*", Resource: "*"}})
	return out
}

// CheckEverything is the check a cluster-admin-equivalent role passes.
const CheckEverything = "*"

// CheckResult is what a role allows of one check, as the authorizer
// answers it: requests for any name and without one (All), requests for
// the listed names only (Names), or requests without a name only
// (Nameless: a rule whose resourceNames list "").
type CheckResult struct {
	All      bool     `json:"all"`
	Names    []string `json:"names,omitempty"`
	Nameless bool     `json:"nameless,omitempty"`
}

// Allows answers the check for a request naming name ("" for none).
func (r CheckResult) Allows(name string) bool {
	if r.All {
		return true
	}
	if name == "" {
		return r.Nameless
	}
	for _, n := range r.Names {
		if n == name {
			return true
		}
	}
	return false
}

// Every reports whether the result reaches every object of the check: All,
// or Nameless for a verb whose requests carry no name (list, watch,
// deletecollection, create of a resource), where a request without a name
// is one for all objects.
func (r CheckResult) Every(c Check) bool {
	if r.All {
		return true
	}
	if !r.Nameless {
		return false
	}
	switch c.Attrs.Verb {
	case "list", "watch", "deletecollection":
		return true
	case "create":
		return c.Attrs.Subresource == ""
	}
	return false
}

// CheckRole answers every check for a role's effective rules; checks the
// role does not allow at all are left out.
func CheckRole(r *Role) map[string]CheckResult {
	out := map[string]CheckResult{}
	for _, c := range Checks {
		if res, ok := checkRules(r.Rules, c.Attrs); ok {
			out[c.ID] = res
		}
	}
	return out
}

func checkRules(rules []Rule, a Attributes) (CheckResult, bool) {
	var res CheckResult
	names := map[string]bool{}
	a.Name = ""
	for i := range rules {
		r := &rules[i]
		if len(r.ResourceNames) == 0 {
			if RuleAllows(a, r) { // any name, and none
				res.All = true
			}
			continue
		}
		for _, n := range r.ResourceNames {
			q := a
			q.Name = n
			if !RuleAllows(q, r) {
				continue
			}
			if n == "" {
				res.Nameless = true
			} else {
				names[n] = true
			}
		}
	}
	if res.All {
		return CheckResult{All: true}, true
	}
	if len(names) == 0 && !res.Nameless {
		return res, false
	}
	for n := range names {
		res.Names = append(res.Names, n)
	}
	sort.Strings(res.Names)
	return res, true
}
