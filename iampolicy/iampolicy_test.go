package iampolicy

import (
	"strings"
	"testing"
	"time"

	"github.com/kscan-io/kscan/glob"
)

func mustParse(t *testing.T, doc string) *Policy {
	t.Helper()
	p, err := Parse(doc)
	if err != nil {
		t.Fatalf("parse %s: %v", doc, err)
	}
	return p
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name, doc, want string
	}{
		{"not JSON", `{"Version": "2012-10-17", "Statement": [`, "not valid JSON"},
		{"unknown version", `{"Version": "2013-01-01", "Statement": []}`, `unknown policy Version "2013-01-01"`},
		{"version not a string", `{"Version": 2012, "Statement": []}`, "unknown policy Version 2012"},
		{"no statement", `{"Version": "2012-10-17"}`, "no Statement"},
		{"bad effect", `{"Statement": {"Effect": "Maybe", "Action": "*"}}`, `Effect is "Maybe"`},
		{"no action", `{"Statement": [{"Effect": "Allow", "Resource": "*"}]}`, "neither Action nor NotAction"},
		{"action not strings", `{"Statement": [{"Effect": "Allow", "Action": [{}]}]}`, "want a string"},
		{"bad principal", `{"Statement": [{"Effect": "Allow", "Action": "*", "Principal": "ec2"}]}`, "must be \"*\""},
		{"bad URL encoding", `%7Bbad%ZZ`, "not valid URL encoding"},
		{"array", `[1]`, "not valid JSON"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse(tc.doc)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error = %v, want it to contain %q", err, tc.want)
			}
		})
	}
}

func TestParseForms(t *testing.T) {
	tests := []struct {
		name string
		doc  any
	}{
		{"object", map[string]any{"Version": "2012-10-17", "Statement": map[string]any{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}}},
		{"JSON string", `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}}`},
		{"URL-encoded", "%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%7B%22Effect%22%3A%22Allow%22%2C%22Action%22%3A%22s3%3AGetObject%22%2C%22Resource%22%3A%22%2A%22%7D%7D"},
		{"no version", `{"Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := Parse(tc.doc)
			if err != nil {
				t.Fatal(err)
			}
			if len(p.Statements) != 1 || !p.Statements[0].MatchesAction("S3:getobject") {
				t.Errorf("statements = %+v", p.Statements)
			}
		})
	}
}

func TestGlob(t *testing.T) {
	tests := []struct {
		p, s string
		want bool
	}{
		{"*", "anything", true},
		{"iam:*", "iam:putrolepolicy", true},
		{"iam:put*policy", "iam:putrolepolicy", true},
		{"iam:put*policy", "iam:putrolepermissionsboundary", false},
		{"s3:get?bject", "s3:getobject", true},
		{"arn:aws:s3:::b/*", "arn:aws:s3:::b/k/x", true},
		{"arn:aws:s3:::b/*", "arn:aws:s3:::c/k", false},
		{"", "", true},
	}
	for _, tc := range tests {
		if got := glob.Match(tc.p, tc.s); got != tc.want {
			t.Errorf("Glob(%q, %q) = %v", tc.p, tc.s, got)
		}
	}
}

func TestConditions(t *testing.T) {
	now := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	known := &Context{Values: map[string][]string{"aws:sourceaccount": {"111122223333"}, "x:tags": {"a", "b"}}, Complete: true, Now: now}
	partial := &Context{Values: map[string][]string{}, Now: now}
	tests := []struct {
		op, key string
		vals    []string
		ctx     *Context
		want    Tri
	}{
		{"StringEquals", "aws:sourceaccount", []string{"111122223333"}, known, True},
		{"StringEquals", "aws:sourceaccount", []string{"444455556666"}, known, False},
		{"StringNotEquals", "aws:sourceaccount", []string{"444455556666"}, known, True},
		{"StringLike", "aws:sourceaccount", []string{"1111*"}, known, True},
		{"StringEquals", "aws:missing", []string{"x"}, known, False},
		{"StringNotEquals", "aws:missing", []string{"x"}, known, True},
		{"StringEqualsIfExists", "aws:missing", []string{"x"}, known, True},
		{"Null", "aws:missing", []string{"true"}, known, True},
		{"Null", "aws:sourceaccount", []string{"true"}, known, False},
		{"StringEquals", "aws:sourceip", []string{"x"}, partial, Unknown},
		{"IpAddress", "aws:sourceip", []string{"10.0.0.0/8"}, &Context{Values: map[string][]string{"aws:sourceip": {"10.1.1.1"}}}, Unknown},
		{"DateLessThan", "aws:currenttime", []string{"2020-01-01T00:00:00Z"}, partial, False},
		{"DateGreaterThan", "aws:tokenissuetime", []string{"2020-01-01T00:00:00Z"}, partial, True},
		{"ForAllValues:StringEquals", "x:tags", []string{"a", "b", "c"}, known, True},
		{"ForAllValues:StringEquals", "x:tags", []string{"a"}, known, False},
		{"ForAnyValue:StringEquals", "x:tags", []string{"b"}, known, True},
	}
	for _, tc := range tests {
		c := Condition{Op: tc.op, Key: tc.key, Values: tc.vals}
		if got := c.Eval(tc.ctx); got != tc.want {
			t.Errorf("%s %s %v = %v, want %v", tc.op, tc.key, tc.vals, got, tc.want)
		}
	}
}

func principal(t *testing.T, boundary string, docs ...string) Principal {
	t.Helper()
	var pr Principal
	for i, d := range docs {
		pr.Identity = append(pr.Identity, Named{Label: string(rune('a' + i)), Policy: mustParse(t, d)})
	}
	if boundary != "" {
		pr.Boundary = &Named{Label: "boundary", Policy: mustParse(t, boundary)}
	}
	return pr
}

const (
	allowAll = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`
	denyAll  = `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"*","Resource":"*"}]}`
)

func TestAdmin(t *testing.T) {
	tests := []struct {
		name     string
		boundary string
		docs     []string
		want     bool
	}{
		{"allow all", "", []string{allowAll}, true},
		{"star colon star", "", []string{`{"Statement":[{"Effect":"Allow","Action":"*:*","Resource":"*"}]}`}, true},
		{"allow and deny all", "", []string{allowAll, denyAll}, false},
		{"deny a whole sensitive service", "", []string{allowAll, `{"Statement":[{"Effect":"Deny","Action":"iam:*","Resource":"*"}]}`}, false},
		{"deny one bucket keeps admin", "", []string{allowAll, `{"Statement":[{"Effect":"Deny","Action":"s3:*","Resource":"arn:aws:s3:::audit/*"}]}`}, true},
		{"deny everything but s3", "", []string{allowAll, `{"Statement":[{"Effect":"Deny","NotAction":"s3:*","Resource":"*"}]}`}, false},
		{"conditional deny keeps admin", "", []string{allowAll, `{"Statement":[{"Effect":"Deny","Action":"*","Resource":"*","Condition":{"Bool":{"aws:MultiFactorAuthPresent":"false"}}}]}`}, true},
		{"boundary caps", `{"Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}`, []string{allowAll}, false},
		{"admin boundary", allowAll, []string{allowAll}, true},
		{"NotAction is not admin", "", []string{`{"Statement":[{"Effect":"Allow","NotAction":"iam:*","Resource":"*"}]}`}, false},
		{"NotResource is not admin", "", []string{`{"Statement":[{"Effect":"Allow","Action":"*","NotResource":"arn:aws:s3:::x"}]}`}, false},
		{"expired admin", "", []string{`{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"DateLessThan":{"aws:CurrentTime":"2020-01-01T00:00:00Z"}}}]}`}, false},
	}
	ctx := &Context{Now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, via := principal(t, tc.boundary, tc.docs...).Admin(ctx)
			if got != tc.want {
				t.Errorf("admin = %v (%v), want %v", got, via, tc.want)
			}
		})
	}
}

func TestEscalations(t *testing.T) {
	tests := []struct {
		name     string
		boundary string
		doc      string
		want     string
	}{
		{"put role policy", "", `{"Statement":[{"Effect":"Allow","Action":"iam:PutRolePolicy","Resource":"*"}]}`, "PutRolePolicy"},
		{"attach via wildcard", "", `{"Statement":[{"Effect":"Allow","Action":"iam:Attach*","Resource":"*"}]}`, "AttachUserPolicy,AttachGroupPolicy,AttachRolePolicy"},
		{"passrole + ec2", "", `{"Statement":[{"Effect":"Allow","Action":["iam:PassRole","ec2:RunInstances"],"Resource":"*"}]}`, "PassRole+EC2"},
		{"passrole without a service", "", `{"Statement":[{"Effect":"Allow","Action":"iam:PassRole","Resource":"*"}]}`, ""},
		{"passrole on a non-IAM resource", "", `{"Statement":[{"Effect":"Allow","Action":["iam:PassRole","ec2:RunInstances"],"Resource":"arn:aws:s3:::b"}]}`, ""},
		{"create key on self only", "", `{"Statement":[{"Effect":"Allow","Action":"iam:CreateAccessKey","Resource":"arn:aws:iam::1:user/${aws:username}"}]}`, ""},
		{"attach on self is escalation", "", `{"Statement":[{"Effect":"Allow","Action":"iam:AttachUserPolicy","Resource":"arn:aws:iam::1:user/${aws:username}"}]}`, "AttachUserPolicy"},
		{"denied", "", `{"Statement":[{"Effect":"Allow","Action":"iam:*","Resource":"*"},{"Effect":"Deny","Action":"iam:*","Resource":"*"}]}`, ""},
		{"boundary removes", `{"Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}`, `{"Statement":[{"Effect":"Allow","Action":"iam:PutUserPolicy","Resource":"*"}]}`, ""},
		{"NotAction excluding every path", "", `{"Statement":[{"Effect":"Allow","NotAction":["iam:Create*","iam:Update*","iam:Attach*","iam:Put*","iam:AddUserToGroup","iam:SetDefaultPolicyVersion","lambda:*","glue:*","iam:PassRole"],"Resource":"*"}]}`, ""},
	}
	ctx := &Context{Now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			for _, e := range principal(t, tc.boundary, tc.doc).Escalations(ctx) {
				got = append(got, e.Path)
			}
			if strings.Join(got, ",") != tc.want {
				t.Errorf("escalations = %v, want %s", got, tc.want)
			}
		})
	}
}

const iss = "oidc.eks.us-east-1.amazonaws.com/id/ABC"

func trustDoc(cond string) string {
	c := ""
	if cond != "" {
		c = `,"Condition":` + cond
	}
	return `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":"arn:aws:iam::1:oidc-provider/` + iss + `"},"Action":"sts:AssumeRoleWithWebIdentity"` + c + `}]}`
}

func TestAdmitsServiceAccount(t *testing.T) {
	tests := []struct {
		name, doc string
		issuers   []string
		want      bool
		reason    string
	}{
		{"exact", trustDoc(`{"StringEquals":{"` + iss + `:sub":"system:serviceaccount:shop:web","` + iss + `:aud":"sts.amazonaws.com"}}`), nil, true, ""},
		{"namespace pattern", trustDoc(`{"StringLike":{"` + iss + `:sub":"system:serviceaccount:shop:*"}}`), nil, true, ""},
		{"other SA", trustDoc(`{"StringEquals":{"` + iss + `:sub":"system:serviceaccount:shop:api"}}`), nil, false, `expects "system:serviceaccount:shop:api"`},
		{"wrong audience", trustDoc(`{"StringEquals":{"` + iss + `:sub":"system:serviceaccount:shop:web","` + iss + `:aud":"vault"}}`), nil, false, "expects"},
		{"no conditions", trustDoc(""), nil, true, ""},
		{"issuer matches", trustDoc(""), []string{"https://" + iss}, true, ""},
		{"other cluster", trustDoc(""), []string{"https://oidc.eks.us-east-1.amazonaws.com/id/OTHER"}, false, "not the cluster's issuer"},
		{"service trust", `{"Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}`, nil, false, "does not allow sts:AssumeRoleWithWebIdentity"},
		{"explicit deny", `{"Statement":[{"Effect":"Allow","Principal":{"Federated":"arn:aws:iam::1:oidc-provider/` + iss + `"},"Action":"sts:AssumeRoleWithWebIdentity"},{"Effect":"Deny","Principal":{"Federated":"arn:aws:iam::1:oidc-provider/` + iss + `"},"Action":"sts:AssumeRoleWithWebIdentity","Condition":{"StringLike":{"` + iss + `:sub":"system:serviceaccount:shop:*"}}}]}`, nil, false, "denies"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ok, why := AdmitsServiceAccount(mustParse(t, tc.doc), "shop", "web", tc.issuers)
			if ok != tc.want || !strings.Contains(why, tc.reason) {
				t.Errorf("admits = %v (%q), want %v (%q)", ok, why, tc.want, tc.reason)
			}
		})
	}
}

func TestTrustIssues(t *testing.T) {
	tests := []struct {
		name, doc          string
		wildcard, unscoped int
	}{
		{"principal star", `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"sts:AssumeRole"}]}`, 1, 0},
		{"star with source account", `{"Statement":[{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"sts:AssumeRole","Condition":{"StringEquals":{"aws:SourceAccount":"1"}}}]}`, 0, 0},
		{"deny star", `{"Statement":[{"Effect":"Deny","Principal":"*","Action":"sts:AssumeRole"}]}`, 0, 0},
		{"oidc no sub", trustDoc(`{"StringEquals":{"` + iss + `:aud":"sts.amazonaws.com"}}`), 0, 1},
		{"oidc sub for another issuer", trustDoc(`{"StringEquals":{"oidc.eks.us-east-1.amazonaws.com/id/OTHER:sub":"system:serviceaccount:a:b"}}`), 0, 1},
		{"oidc every sa", trustDoc(`{"StringLike":{"` + iss + `:sub":"system:serviceaccount:*"}}`), 0, 1},
		{"oidc scoped", trustDoc(`{"StringEquals":{"` + iss + `:sub":"system:serviceaccount:a:b"}}`), 0, 0},
		{"oidc namespace", trustDoc(`{"StringLike":{"` + iss + `:sub":"system:serviceaccount:a:*"}}`), 0, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := mustParse(t, tc.doc)
			if got := len(WildcardTrust(p)); got != tc.wildcard {
				t.Errorf("wildcard trust issues = %d, want %d", got, tc.wildcard)
			}
			if got := len(UnscopedOIDCTrust(p)); got != tc.unscoped {
				t.Errorf("unscoped OIDC issues = %d, want %d", got, tc.unscoped)
			}
		})
	}
}
