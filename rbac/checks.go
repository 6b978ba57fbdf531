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

// CheckResult is what a role allows of one check: every object (All), or
// only the named ones.
type CheckResult struct {
	All   bool     `json:"all"`
	Names []string `json:"names,omitempty"`
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
	for i := range rules {
		r := &rules[i]
		if RuleAllows(a, r) { // a request without a name: every object
			res.All = true
			continue
		}
		for _, n := range r.ResourceNames {
			q := a
			q.Name = n
			if n != "" && RuleAllows(q, r) {
				names[n] = true
			}
		}
	}
	if res.All {
		return CheckResult{All: true}, true
	}
	if len(names) == 0 {
		return res, false
	}
	for n := range names {
		res.Names = append(res.Names, n)
	}
	sort.Strings(res.Names)
	return res, true
}
