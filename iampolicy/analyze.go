package iampolicy

import (
	"fmt"
	"sort"
	"strings"
)

// Named is a parsed policy and how messages name it, e.g.
// "AdministratorAccess (arn:aws:iam::aws:policy/AdministratorAccess)" or
// "inline policy s3-write" or "group admin: AdministratorAccess".
type Named struct {
	Label  string
	Policy *Policy
}

// Principal is what decides a user's, group's or role's permissions: its
// identity policies (for a user, its groups' policies too) and, when set,
// its permissions boundary, which caps them.
type Principal struct {
	Identity []Named
	Boundary *Named
}

// adminProbes are services whose complete denial means a principal is no
// longer an administrator even with Allow * on *.
var adminProbes = []string{"iam", "sts", "organizations", "s3", "ec2", "kms", "lambda", "secretsmanager"}

// allowsEverything reports whether a set of policies allows every action on
// every resource: an Allow statement with Action * and Resource * whose
// conditions are not known to be false, and no Deny (whose conditions are
// known to hold) on all resources for every action or for a whole
// sensitive service.
func allowsEverything(pols []Named, ctx *Context) (bool, []string) {
	var via []string
	for _, p := range pols {
		for i := range p.Policy.Statements {
			s := &p.Policy.Statements[i]
			if s.Effect == "Allow" && s.coversAllActions() && s.coversAllResources() && s.conditions(ctx) != False {
				via = append(via, p.Label)
				break
			}
		}
	}
	if len(via) == 0 {
		return false, nil
	}
	for _, p := range pols {
		for i := range p.Policy.Statements {
			s := &p.Policy.Statements[i]
			if s.Effect != "Deny" || !s.coversAllResources() || s.conditions(ctx) != True {
				continue
			}
			if s.coversAllActions() {
				return false, nil
			}
			for _, svc := range adminProbes {
				if s.coversService(svc) {
					return false, nil
				}
			}
		}
	}
	return true, uniqSorted(via)
}

// Admin reports whether the principal's effective permissions allow * on *,
// and the policies that grant it.
func (pr Principal) Admin(ctx *Context) (bool, []string) {
	ok, via := allowsEverything(pr.Identity, ctx)
	if !ok {
		return false, nil
	}
	if pr.Boundary != nil {
		if bok, _ := allowsEverything([]Named{*pr.Boundary}, ctx); !bok {
			return false, nil
		}
	}
	return true, via
}

// can reports whether some statement may allow action on some resource the
// principal could act on, and no Deny known to apply removes it for every
// resource; the boundary, when set, must allow it as well.
func can(pols []Named, action string, selfExcluded bool, ctx *Context) (bool, []string) {
	var via []string
	for _, p := range pols {
		for i := range p.Policy.Statements {
			s := &p.Policy.Statements[i]
			if s.Effect == "Allow" && s.MatchesAction(action) && s.resourceReachable(action, selfExcluded) && s.conditions(ctx) != False {
				via = append(via, p.Label)
				break
			}
		}
	}
	if len(via) == 0 {
		return false, nil
	}
	for _, p := range pols {
		for i := range p.Policy.Statements {
			s := &p.Policy.Statements[i]
			if s.Effect == "Deny" && s.MatchesAction(action) && s.coversAllResources() && s.conditions(ctx) == True {
				return false, nil
			}
		}
	}
	return true, via
}

func (pr Principal) can(action string, selfExcluded bool, ctx *Context) (bool, []string) {
	action = strings.ToLower(action)
	ok, via := can(pr.Identity, action, selfExcluded, ctx)
	if !ok {
		return false, nil
	}
	if pr.Boundary != nil {
		if bok, _ := can([]Named{*pr.Boundary}, action, selfExcluded, ctx); !bok {
			return false, nil
		}
	}
	return true, via
}

// EscalationPath is a known way to gain more permissions: holding all of
// Actions is enough.
type EscalationPath struct {
	ID      string
	Actions []string
	// OthersOnly: the action is only an escalation on other users, so
	// resources limited to ${aws:username} do not count.
	OthersOnly bool
}

// EscalationPaths lists the privilege-escalation techniques checked
// (after Rhino Security Labs' catalogue, as used by Cloudsplaining).
var EscalationPaths = []EscalationPath{
	{ID: "CreatePolicyVersion", Actions: []string{"iam:CreatePolicyVersion"}},
	{ID: "SetDefaultPolicyVersion", Actions: []string{"iam:SetDefaultPolicyVersion"}},
	{ID: "AttachUserPolicy", Actions: []string{"iam:AttachUserPolicy"}},
	{ID: "AttachGroupPolicy", Actions: []string{"iam:AttachGroupPolicy"}},
	{ID: "AttachRolePolicy", Actions: []string{"iam:AttachRolePolicy"}},
	{ID: "PutUserPolicy", Actions: []string{"iam:PutUserPolicy"}},
	{ID: "PutGroupPolicy", Actions: []string{"iam:PutGroupPolicy"}},
	{ID: "PutRolePolicy", Actions: []string{"iam:PutRolePolicy"}},
	{ID: "AddUserToGroup", Actions: []string{"iam:AddUserToGroup"}},
	{ID: "CreateAccessKey", Actions: []string{"iam:CreateAccessKey"}, OthersOnly: true},
	{ID: "CreateLoginProfile", Actions: []string{"iam:CreateLoginProfile"}, OthersOnly: true},
	{ID: "UpdateLoginProfile", Actions: []string{"iam:UpdateLoginProfile"}, OthersOnly: true},
	{ID: "UpdateAssumeRolePolicy", Actions: []string{"iam:UpdateAssumeRolePolicy"}},
	{ID: "PassRole+Lambda", Actions: []string{"iam:PassRole", "lambda:CreateFunction"}},
	{ID: "PassRole+EC2", Actions: []string{"iam:PassRole", "ec2:RunInstances"}},
	{ID: "PassRole+Glue", Actions: []string{"iam:PassRole", "glue:CreateDevEndpoint"}},
	{ID: "PassRole+CloudFormation", Actions: []string{"iam:PassRole", "cloudformation:CreateStack"}},
	{ID: "PassRole+DataPipeline", Actions: []string{"iam:PassRole", "datapipeline:CreatePipeline"}},
	{ID: "PassRole+CodeBuild", Actions: []string{"iam:PassRole", "codebuild:CreateProject"}},
	{ID: "PassRole+SageMakerNotebook", Actions: []string{"iam:PassRole", "sagemaker:CreateNotebookInstance"}},
	{ID: "PassRole+SageMakerTraining", Actions: []string{"iam:PassRole", "sagemaker:CreateTrainingJob"}},
	{ID: "PassRole+SageMakerProcessing", Actions: []string{"iam:PassRole", "sagemaker:CreateProcessingJob"}},
	{ID: "UpdateLambdaCode", Actions: []string{"lambda:UpdateFunctionCode"}},
	{ID: "UpdateGlueDevEndpoint", Actions: []string{"glue:UpdateDevEndpoint"}},
}

// Escalation is one path a principal can take.
type Escalation struct {
	Path    string   `json:"path"`
	Actions []string `json:"actions"`
	Via     []string `json:"via"`
}

// Escalations lists the escalation paths open to the principal.
func (pr Principal) Escalations(ctx *Context) []Escalation {
	var out []Escalation
	for _, path := range EscalationPaths {
		var via []string
		ok := true
		for _, a := range path.Actions {
			allowed, v := pr.can(a, path.OthersOnly, ctx)
			if !allowed {
				ok = false
				break
			}
			via = append(via, v...)
		}
		if ok {
			out = append(out, Escalation{Path: path.ID, Actions: path.Actions, Via: uniqSorted(via)})
		}
	}
	return out
}

// restrictingKeys are condition keys that limit who may assume a role that
// names Principal "*".
var restrictingKeys = map[string]bool{
	"aws:principalorgid": true, "aws:principalorgpaths": true, "aws:principalaccount": true,
	"aws:principalarn": true, "aws:sourceaccount": true, "aws:sourcearn": true, "aws:sourceorgid": true,
	"aws:sourceorgpaths": true, "sts:externalid": true, "aws:userid": true, "aws:username": true,
	"aws:sourcevpc": true, "aws:sourcevpce": true, "aws:sourceip": true, "aws:principalservicename": true,
}

// TrustIssue is a problem found in a role's trust policy.
type TrustIssue struct {
	Statement string `json:"statement"`
	Principal string `json:"principal"`
	Reason    string `json:"reason"`
}

// WildcardTrust lists Allow statements of a trust policy that let any AWS
// principal assume the role with no condition restricting who.
func WildcardTrust(p *Policy) []TrustIssue {
	var out []TrustIssue
	for i := range p.Statements {
		s := &p.Statements[i]
		if s.Effect != "Allow" || s.Principal == nil {
			continue
		}
		who := ""
		if s.Principal.Any {
			who = `"*"`
		} else {
			for _, v := range s.Principal.ByType["AWS"] {
				if v == "*" {
					who = `{"AWS": "*"}`
				}
			}
		}
		if who == "" {
			continue
		}
		restricted := false
		for _, c := range s.Conditions {
			if restrictingKeys[c.Key] || strings.HasSuffix(c.Key, ":sub") {
				restricted = true
				break
			}
		}
		if !restricted {
			out = append(out, TrustIssue{Statement: s.Label(), Principal: who,
				Reason: fmt.Sprintf("%s allows Principal %s with no condition on who (aws:PrincipalOrgID, aws:SourceAccount, sts:ExternalId…)", s.Label(), who)})
		}
	}
	return out
}

const webIdentity = "sts:assumerolewithwebidentity"

// oidcProviders returns the OIDC provider ARNs a statement trusts.
func oidcProviders(s *Statement) []string {
	if s.Principal == nil {
		return nil
	}
	var out []string
	for _, v := range s.Principal.ByType["Federated"] {
		if strings.Contains(v, ":oidc-provider/") {
			out = append(out, v)
		}
	}
	return out
}

// Issuer is the issuer part of an OIDC provider ARN or an issuer URL, as
// used in condition keys: "oidc.eks.us-east-1.amazonaws.com/id/ABC".
func Issuer(arnOrURL string) string {
	if _, after, ok := strings.Cut(arnOrURL, ":oidc-provider/"); ok {
		return strings.TrimSuffix(after, "/")
	}
	s := strings.TrimPrefix(strings.TrimPrefix(arnOrURL, "https://"), "http://")
	return strings.TrimSuffix(s, "/")
}

var saProbes = []string{"system:serviceaccount:kscan-probe-a:kscan-probe-x", "system:serviceaccount:zz-other-ns:yy-other-sa"}

// positiveStringOps are the operators that can scope :sub to a value.
func positiveStringOp(op string) bool {
	op = strings.TrimPrefix(strings.TrimPrefix(op, "ForAnyValue:"), "ForAllValues:")
	op = strings.TrimSuffix(op, "IfExists")
	switch op {
	case "StringEquals", "StringLike", "StringEqualsIgnoreCase":
		return true
	}
	return false
}

// UnscopedOIDCTrust lists statements that let an OIDC provider's tokens
// assume the role with sts:AssumeRoleWithWebIdentity without a :sub
// condition, or with one whose pattern matches every ServiceAccount.
func UnscopedOIDCTrust(p *Policy) []TrustIssue {
	var out []TrustIssue
	for i := range p.Statements {
		s := &p.Statements[i]
		if s.Effect != "Allow" || !s.MatchesAction(webIdentity) {
			continue
		}
		for _, prov := range oidcProviders(s) {
			subKey := strings.ToLower(Issuer(prov)) + ":sub"
			var subs []Condition
			for _, c := range s.Conditions {
				if c.Key == subKey && positiveStringOp(c.Op) {
					subs = append(subs, c)
				}
			}
			if len(subs) == 0 {
				out = append(out, TrustIssue{Statement: s.Label(), Principal: prov,
					Reason: fmt.Sprintf("%s lets any identity of %s assume the role: no %s:sub condition", s.Label(), Issuer(prov), Issuer(prov))})
				continue
			}
			// Conditions are ANDed: the statement is unscoped only if every
			// :sub condition admits both unrelated probe ServiceAccounts.
			all := true
			var pats []string
			for _, c := range subs {
				ctxs := true
				for _, probe := range saProbes {
					ctx := &Context{Values: map[string][]string{subKey: {probe}}, Complete: true}
					if c.Eval(ctx) != True {
						ctxs = false
					}
				}
				if !ctxs {
					all = false
				}
				pats = append(pats, c.Values...)
			}
			if all {
				out = append(out, TrustIssue{Statement: s.Label(), Principal: prov,
					Reason: fmt.Sprintf("%s: the %s:sub condition %s matches every ServiceAccount", s.Label(), Issuer(prov), strings.Join(quoteAll(pats), ", "))})
			}
		}
	}
	return out
}

// AdmitsServiceAccount evaluates a trust policy for the web-identity token
// of ServiceAccount ns/name (sub system:serviceaccount:<ns>:<name>, aud
// sts.amazonaws.com). When issuers is not empty, the trusted OIDC provider
// must be one of them. It returns whether the role can be assumed and, if
// not, why.
func AdmitsServiceAccount(p *Policy, ns, name string, issuers []string) (bool, string) {
	sub := "system:serviceaccount:" + ns + ":" + name
	want := map[string]bool{}
	for _, is := range issuers {
		want[strings.ToLower(Issuer(is))] = true
	}
	allowed := false
	var reasons []string
	sawProvider := false
	for i := range p.Statements {
		s := &p.Statements[i]
		if !s.MatchesAction(webIdentity) {
			continue
		}
		for _, prov := range oidcProviders(s) {
			iss := strings.ToLower(Issuer(prov))
			if len(want) > 0 && !want[iss] {
				if s.Effect == "Allow" {
					reasons = append(reasons, fmt.Sprintf("it trusts OIDC provider %s, not the cluster's issuer", Issuer(prov)))
				}
				continue
			}
			ctx := &Context{Complete: true, Values: map[string][]string{
				iss + ":sub": {sub},
				iss + ":aud": {"sts.amazonaws.com"},
			}}
			r := s.conditions(ctx)
			if s.Effect == "Deny" && r == True {
				return false, fmt.Sprintf("%s denies %s", s.Label(), sub)
			}
			if s.Effect != "Allow" {
				continue
			}
			sawProvider = true
			if r == True {
				allowed = true
				continue
			}
			var exp []string
			for _, c := range s.Conditions {
				if c.Key == iss+":sub" {
					exp = append(exp, c.Values...)
				}
			}
			if len(exp) > 0 {
				reasons = append(reasons, fmt.Sprintf("its :sub condition expects %s", strings.Join(quoteAll(exp), ", ")))
			} else {
				reasons = append(reasons, fmt.Sprintf("the conditions of %s do not hold for %s", s.Label(), sub))
			}
		}
	}
	if allowed {
		return true, ""
	}
	if !sawProvider && len(reasons) == 0 {
		return false, "its trust policy does not allow sts:AssumeRoleWithWebIdentity from an OIDC provider"
	}
	return false, strings.Join(uniqSorted(reasons), "; ")
}

func quoteAll(ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = fmt.Sprintf("%q", s)
	}
	return out
}

func uniqSorted(ss []string) []string {
	if len(ss) == 0 {
		return []string{}
	}
	cp := append([]string(nil), ss...)
	sort.Strings(cp)
	out := cp[:1]
	for _, s := range cp[1:] {
		if s != out[len(out)-1] {
			out = append(out, s)
		}
	}
	return out
}
