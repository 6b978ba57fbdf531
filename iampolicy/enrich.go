package iampolicy

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/kscan-io/kscan/graph"
)

// Node types of AWS IAM and EKS objects. Every source (the IAM API, an
// authorization-details file, Pulumi state) builds them with the same
// Object shape; see docs/iam.md.
const (
	TypeUser                   = "aws:iam/User"
	TypeGroup                  = "aws:iam/Group"
	TypeRole                   = "aws:iam/Role"
	TypePolicy                 = "aws:iam/Policy"
	TypePrincipal              = "aws:iam/Principal" // a trusted principal outside the graph (service, account, OIDC provider)
	TypeEKSCluster             = "aws:eks/Cluster"
	TypePodIdentityAssociation = "aws:eks/PodIdentityAssociation"
	TypeCredentialReport       = "aws:iam/CredentialReport" // rows by user ARN, from `aws iam get-credential-report`
)

// IRSAAnnotation names the IAM role a ServiceAccount's pods assume.
const IRSAAnnotation = "eks.amazonaws.com/role-arn"

// EnrichOptions tunes Enrich.
type EnrichOptions struct {
	// Now is used for date conditions and access-key ages when the
	// credential report carries no generation time; zero means time.Now.
	Now time.Time
	// Context stops the evaluation (--timeout, a signal): the principals
	// not judged yet are named in an input error. Nil: never stopped.
	Context context.Context
}

// wellKnown are AWS-managed policies whose documents kscan knows, so a
// principal that attaches one is judged even when the input (Pulumi state,
// a filtered export) does not carry the policy itself.
var wellKnown = map[string]map[string]any{
	"arn:aws:iam::aws:policy/AdministratorAccess": doc(stmt("Allow", "*", "*")),
	"arn:aws:iam::aws:policy/IAMFullAccess":       doc(stmt("Allow", "iam:*", "*")),
	"arn:aws:iam::aws:policy/PowerUserAccess": doc(
		map[string]any{"Effect": "Allow", "NotAction": []any{"iam:*", "organizations:*", "account:*"}, "Resource": "*"},
		map[string]any{"Effect": "Allow", "Action": []any{"iam:CreateServiceLinkedRole", "iam:DeleteServiceLinkedRole", "iam:ListRoles", "organizations:DescribeOrganization", "account:ListRegions"}, "Resource": "*"},
	),
}

func stmt(effect, action, resource string) map[string]any {
	return map[string]any{"Effect": effect, "Action": action, "Resource": resource}
}

func doc(stmts ...map[string]any) map[string]any {
	l := make([]any, len(stmts))
	for i, s := range stmts {
		l[i] = s
	}
	return map[string]any{"Version": "2012-10-17", "Statement": l}
}

// InlinePolicyID is the identity of an inline policy node: inline policies
// have no ARN of their own.
func InlinePolicyID(principalArn, name string) string {
	return principalArn + "/inline-policy/" + name
}

type enricher struct {
	g     *graph.Graph
	byID  map[string][]*graph.Node
	ctx   *Context
	cache map[string]*Policy // by policy node key; nil = unusable (reported)
	now   time.Time
	// reports are credential-report rows read from files, by user ARN.
	reports map[string]map[string]any
}

// Enrich joins and judges the IAM part of a graph: it adds member-of,
// has-policy, trusts and assumes edges, evaluates each principal's
// effective permissions into node.Attrs, records unreadable policy
// documents as input errors, and returns the facts rules read under
// input.facts.iam.
func Enrich(g *graph.Graph, opts EnrichOptions) map[string]any {
	now := opts.Now
	if now.IsZero() {
		now = time.Now().UTC()
	}
	e := &enricher{g: g, byID: map[string][]*graph.Node{}, cache: map[string]*Policy{}, now: now,
		ctx: &Context{Now: now}}
	nodes := g.Nodes()
	has := false
	for _, n := range nodes {
		e.byID[n.ID] = append(e.byID[n.ID], n)
		if strings.HasPrefix(n.Type, "aws:") {
			has = true
		}
	}
	facts := map[string]any{"irsa": []any{}, "pod_identity": []any{}}
	if !has {
		return facts
	}
	groups := map[string][]*graph.Node{} // account|name -> group nodes
	e.reports = map[string]map[string]any{}
	for _, n := range nodes {
		if n.Type == TypeCredentialReport {
			users, _ := n.Object["Users"].(map[string]any)
			for arn, row := range users {
				if m, ok := row.(map[string]any); ok {
					e.reports[arn] = m
				}
			}
		}
		if n.Type == TypeGroup {
			name, _ := n.Object["GroupName"].(string)
			groups[account(n.ID)+"|"+name] = append(groups[account(n.ID)+"|"+name], n)
		}
	}
	stop := opts.Context
	if stop == nil {
		stop = context.Background()
	}
	judged, total := 0, 0
	for _, n := range nodes {
		switch n.Type {
		case TypeUser, TypeGroup, TypeRole:
			total++
			if stop.Err() == nil {
				e.principal(n, groups)
				judged++
			}
		}
	}
	if stop.Err() != nil {
		// A large or pathological input (thousands of principals sharing a
		// policy of thousands of statements) can take minutes: what was
		// judged stays, the rest is said to be missing.
		g.AddError(graph.InputError{Source: graph.Source{Kind: graph.SourceKind("iam")},
			Message: fmt.Sprintf("IAM evaluation stopped (%s) after %d of %d principals: the others are not judged", stopReason(stop), judged, total)})
		return facts
	}
	facts["irsa"] = e.irsa(nodes)
	facts["pod_identity"] = e.podIdentity(nodes)
	return facts
}

// account is the account ID field of an ARN.
func account(arn string) string {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) < 5 {
		return ""
	}
	return parts[4]
}

func (e *enricher) inputError(n *graph.Node, resource, msg string) {
	e.g.AddError(graph.InputError{Source: n.Source, Resource: resource, Message: msg})
}

// own returns the identity policies a principal node holds itself (inline
// and attached), adding has-policy edges and inline policy nodes.
func (e *enricher) own(n *graph.Node, prefix string) []Named {
	var out []Named
	inlineField := map[string]string{TypeUser: "UserPolicyList", TypeGroup: "GroupPolicyList", TypeRole: "RolePolicyList"}[n.Type]
	for _, raw := range list(n.Object[inlineField]) {
		m, _ := raw.(map[string]any)
		name, _ := m["PolicyName"].(string)
		id := InlinePolicyID(n.ID, name)
		key := e.inlineNode(n, id, name, m["PolicyDocument"])
		e.g.AddEdge(n.Key, key, graph.EdgeHasPolicy)
		p, ok := e.cache[key]
		if !ok && m["PolicyDocument"] == nil {
			// Unknown document (e.g. a Pulumi secret): nothing to judge.
			e.cache[key] = nil
			continue
		}
		if !ok {
			var err error
			if p, err = Parse(m["PolicyDocument"]); err != nil {
				e.inputError(n, n.ID, fmt.Sprintf("inline policy %q: %v", name, err))
				p = nil
			}
			e.cache[key] = p
		}
		if p != nil {
			out = append(out, Named{Label: prefix + "inline policy " + name, Policy: p})
		}
	}
	for _, raw := range list(n.Object["AttachedManagedPolicies"]) {
		m, _ := raw.(map[string]any)
		arn, _ := m["PolicyArn"].(string)
		name, _ := m["PolicyName"].(string)
		if arn == "" {
			continue
		}
		if name == "" {
			name = arn[strings.LastIndex(arn, "/")+1:]
		}
		pn := e.managed(arn, name)
		e.g.AddEdge(n.Key, pn.Key, graph.EdgeHasPolicy)
		if p := e.parsed(pn); p != nil {
			out = append(out, Named{Label: prefix + name + " (" + arn + ")", Policy: p})
		}
	}
	return out
}

// inlineNode adds (once) the node of an inline policy.
func (e *enricher) inlineNode(principal *graph.Node, id, name string, document any) string {
	if ns := e.byID[id]; len(ns) > 0 {
		return ns[0].Key
	}
	n := &graph.Node{ID: id, Type: TypePolicy, Source: principal.Source,
		Object: map[string]any{"PolicyName": name, "Inline": true, "Principal": principal.ID, "Document": document}}
	e.g.AddNode(n)
	e.byID[id] = []*graph.Node{n}
	return n.Key
}

// managed finds the node of a managed policy, or adds one: from kscan's
// knowledge of well-known AWS policies, or a stub whose document is unknown.
func (e *enricher) managed(arn, name string) *graph.Node {
	if ns := e.byID[arn]; len(ns) > 0 {
		return ns[0]
	}
	obj := map[string]any{"Arn": arn, "PolicyName": name}
	if d, ok := wellKnown[arn]; ok {
		obj["Document"] = d
	}
	n := &graph.Node{ID: arn, Type: TypePolicy, Object: obj, Source: graph.Source{Kind: graph.SourceDerived}}
	e.g.AddNode(n)
	e.byID[arn] = []*graph.Node{n}
	return n
}

// parsed parses a managed policy node's document once; errors are recorded
// once, on the policy.
func (e *enricher) parsed(pn *graph.Node) *Policy {
	if p, ok := e.cache[pn.Key]; ok {
		return p
	}
	d := pn.Object["Document"]
	var p *Policy
	if d != nil {
		var err error
		if p, err = Parse(d); err != nil {
			e.inputError(pn, pn.ID, "policy document: "+err.Error())
			p = nil
		}
	}
	e.cache[pn.Key] = p
	return p
}

func (e *enricher) principal(n *graph.Node, groups map[string][]*graph.Node) {
	pr := Principal{Identity: e.own(n, "")}
	if n.Type == TypeUser {
		for _, gname := range list(n.Object["GroupList"]) {
			name, _ := gname.(string)
			for _, gn := range groups[account(n.ID)+"|"+name] {
				e.g.AddEdge(n.Key, gn.Key, graph.EdgeMemberOf)
				pr.Identity = append(pr.Identity, e.own(gn, "group "+name+": ")...)
			}
		}
	}
	if pb, ok := n.Object["PermissionsBoundary"].(map[string]any); ok {
		if arn, _ := pb["PermissionsBoundaryArn"].(string); arn != "" {
			pn := e.managed(arn, arn[strings.LastIndex(arn, "/")+1:])
			if p := e.parsed(pn); p != nil {
				pr.Boundary = &Named{Label: "permissions boundary " + arn, Policy: p}
			} else {
				// An unknown boundary still caps: judge nothing rather than
				// report permissions the boundary may remove.
				pr.Boundary = &Named{Label: "permissions boundary " + arn, Policy: &Policy{}}
			}
		}
	}
	if n.Attrs == nil {
		n.Attrs = map[string]any{}
	}
	admin, via := pr.Admin(e.ctx)
	n.Attrs["admin"] = admin
	n.Attrs["admin_via"] = strs(via)
	var escs []any
	for _, x := range pr.Escalations(e.ctx) {
		escs = append(escs, map[string]any{"path": x.Path, "actions": strs(x.Actions), "via": strs(x.Via)})
	}
	n.Attrs["escalations"] = nonNil(escs)
	if pr.Boundary != nil {
		n.Attrs["permissions_boundary"] = strings.TrimPrefix(pr.Boundary.Label, "permissions boundary ")
	}
	if n.Type == TypeRole {
		e.trust(n)
	}
	if n.Type == TypeUser {
		e.hygiene(n)
	}
}

// trust judges a role's trust policy and adds trusts edges.
func (e *enricher) trust(n *graph.Node) {
	n.Attrs["wildcard_trust"] = []any{}
	n.Attrs["oidc_unscoped"] = []any{}
	d, ok := n.Object["AssumeRolePolicyDocument"]
	if !ok || d == nil {
		return
	}
	p, err := Parse(d)
	if err != nil {
		e.inputError(n, n.ID, "trust policy (AssumeRolePolicyDocument): "+err.Error())
		return
	}
	e.cache["trust|"+n.Key] = p
	n.Attrs["wildcard_trust"] = issues(WildcardTrust(p))
	n.Attrs["oidc_unscoped"] = issues(UnscopedOIDCTrust(p))
	seen := map[string]bool{}
	for _, s := range p.Statements {
		if s.Effect != "Allow" || s.Principal == nil {
			continue
		}
		var ids []string
		if s.Principal.Any {
			ids = append(ids, "*")
		}
		for _, typ := range slices.Sorted(maps.Keys(s.Principal.ByType)) {
			ids = append(ids, s.Principal.ByType[typ]...)
		}
		for _, id := range ids {
			if seen[id] {
				continue
			}
			seen[id] = true
			if ns := e.byID[id]; len(ns) > 0 {
				e.g.AddEdge(n.Key, ns[0].Key, graph.EdgeTrusts)
				continue
			}
			pn := &graph.Node{ID: id, Type: TypePrincipal, Object: map[string]any{"Principal": id}, Source: graph.Source{Kind: graph.SourceDerived}}
			e.g.AddNode(pn)
			e.byID[id] = []*graph.Node{pn}
			e.g.AddEdge(n.Key, pn.Key, graph.EdgeTrusts)
		}
	}
}

func issues(in []TrustIssue) []any {
	out := make([]any, 0, len(in))
	for _, t := range in {
		out = append(out, map[string]any{"statement": t.Statement, "principal": t.Principal, "reason": t.Reason})
	}
	return out
}

// hygiene derives account-hygiene facts from a user's credential report
// row (live scans): console password without MFA, access keys not rotated
// for 90 days.
func (e *enricher) hygiene(n *graph.Node) {
	cr, ok := n.Object["CredentialReport"].(map[string]any)
	if !ok {
		if cr, ok = e.reports[n.ID]; !ok {
			return
		}
	}
	at := e.now
	if s, _ := cr["generated_time"].(string); s != "" {
		if t, ok := parseTime(s); ok {
			at = t
		}
	}
	n.Attrs["console_without_mfa"] = cr["password_enabled"] == "true" && cr["mfa_active"] == "false"
	var old []any
	for _, k := range []string{"access_key_1", "access_key_2"} {
		if cr[k+"_active"] != "true" {
			continue
		}
		s, _ := cr[k+"_last_rotated"].(string)
		t, ok := parseTime(s)
		if !ok {
			continue
		}
		days := int(at.Sub(t).Hours() / 24)
		if days > 90 {
			old = append(old, map[string]any{"key": k, "age_days": days, "last_rotated": s})
		}
	}
	n.Attrs["old_access_keys"] = nonNil(old)
}

// issuers are the OIDC issuers of the EKS clusters in the graph (live EKS
// scans); empty when unknown.
func issuers(nodes []*graph.Node) []string {
	var out []string
	for _, n := range nodes {
		if n.Type != TypeEKSCluster {
			continue
		}
		if id, ok := n.Object["identity"].(map[string]any); ok {
			if o, ok := id["oidc"].(map[string]any); ok {
				if s, _ := o["issuer"].(string); s != "" {
					out = append(out, s)
				}
			}
		}
	}
	sort.Strings(out)
	return out
}

// irsa checks each ServiceAccount's role annotation against the role's trust
// policy; admitted ones get an assumes edge.
func (e *enricher) irsa(nodes []*graph.Node) []any {
	iss := issuers(nodes)
	out := []any{}
	for _, n := range nodes {
		if n.Type != "k8s:core/ServiceAccount" {
			continue
		}
		_, ns, name := graph.K8sMeta(n)
		meta, _ := n.Object["metadata"].(map[string]any)
		ann, _ := meta["annotations"].(map[string]any)
		arn, _ := ann[IRSAAnnotation].(string)
		arn = strings.TrimSpace(arn)
		if arn == "" {
			continue
		}
		for _, rn := range e.byID[arn] {
			if rn.Type != TypeRole {
				continue
			}
			p := e.cache["trust|"+rn.Key]
			if p == nil {
				// No readable trust policy (unknown in the source, or
				// already reported as an input error): do not judge.
				continue
			}
			ok, why := AdmitsServiceAccount(p, ns, name, iss)
			if ok {
				e.g.AddEdge(n.Key, rn.Key, graph.EdgeAssumes)
			}
			out = append(out, map[string]any{"sa": n.Key, "role": rn.Key, "role_arn": arn, "admitted": ok, "reason": why})
		}
	}
	return out
}

// podIdentity joins EKS Pod Identity associations: the ServiceAccount
// assumes the role (EKS checks the role trusts pods.eks.amazonaws.com when
// the association is made).
func (e *enricher) podIdentity(nodes []*graph.Node) []any {
	sas := map[string][]*graph.Node{}
	for _, n := range nodes {
		if n.Type == "k8s:core/ServiceAccount" {
			_, ns, name := graph.K8sMeta(n)
			sas[ns+"/"+name] = append(sas[ns+"/"+name], n)
		}
	}
	out := []any{}
	for _, n := range nodes {
		if n.Type != TypePodIdentityAssociation {
			continue
		}
		ns, _ := n.Object["namespace"].(string)
		sa, _ := n.Object["serviceAccount"].(string)
		arn, _ := n.Object["roleArn"].(string)
		for _, sn := range sas[ns+"/"+sa] {
			for _, rn := range e.byID[arn] {
				if rn.Type != TypeRole {
					continue
				}
				e.g.AddEdge(sn.Key, rn.Key, graph.EdgeAssumes)
				out = append(out, map[string]any{"sa": sn.Key, "role": rn.Key, "role_arn": arn, "association": n.Key})
			}
		}
	}
	return out
}

func list(v any) []any {
	l, _ := v.([]any)
	return l
}

func strs(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}

func nonNil(l []any) []any {
	if l == nil {
		return []any{}
	}
	return l
}

// stopReason is why ctx ended: its cause (--timeout reached) and its error.
func stopReason(ctx context.Context) string {
	cause, err := context.Cause(ctx), ctx.Err()
	if cause == nil || cause == err {
		return fmt.Sprint(err)
	}
	return fmt.Sprintf("%v: %v", cause, err)
}
