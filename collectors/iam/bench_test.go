package iam_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/kscan-io/kscan/collectors/iam"
	"github.com/kscan-io/kscan/enrich"
	"github.com/kscan-io/kscan/graph"
	"github.com/kscan-io/kscan/policies"
)

// authDetails renders an authorization-details document with the given
// numbers of roles and managed policies (each role attaches four policies,
// has an inline policy and an IRSA trust policy; one policy in 50 is an
// escalation path, one in 1,000 allows * on *).
func authDetails(roles, policies int) []byte {
	var ps, rs []any
	for i := 0; i < policies; i++ {
		stmts := []any{
			map[string]any{"Effect": "Allow", "Action": []any{"s3:GetObject", "s3:PutObject", "s3:List*"}, "Resource": fmt.Sprintf("arn:aws:s3:::bucket-%d/*", i)},
			map[string]any{"Effect": "Allow", "Action": []any{"dynamodb:Query", "dynamodb:GetItem"}, "Resource": "*"},
		}
		switch {
		case i%1000 == 0:
			stmts = append(stmts, map[string]any{"Effect": "Allow", "Action": "*", "Resource": "*"})
		case i%50 == 0:
			stmts = append(stmts, map[string]any{"Effect": "Allow", "Action": []any{"iam:PassRole", "lambda:CreateFunction"}, "Resource": "*"})
		}
		ps = append(ps, map[string]any{"PolicyName": fmt.Sprintf("p%d", i), "Arn": fmt.Sprintf("arn:aws:iam::111122223333:policy/p%d", i),
			"DefaultVersionId": "v1", "PolicyVersionList": []any{map[string]any{"VersionId": "v1", "IsDefaultVersion": true,
				"Document": map[string]any{"Version": "2012-10-17", "Statement": stmts}}}})
	}
	for i := 0; i < roles; i++ {
		var attached []any
		for k := 0; k < 4; k++ {
			p := (i*4 + k) % policies
			attached = append(attached, map[string]any{"PolicyArn": fmt.Sprintf("arn:aws:iam::111122223333:policy/p%d", p), "PolicyName": fmt.Sprintf("p%d", p)})
		}
		rs = append(rs, map[string]any{"RoleName": fmt.Sprintf("r%d", i), "Arn": fmt.Sprintf("arn:aws:iam::111122223333:role/r%d", i),
			"AssumeRolePolicyDocument": map[string]any{"Version": "2012-10-17", "Statement": []any{map[string]any{
				"Effect": "Allow", "Action": "sts:AssumeRoleWithWebIdentity",
				"Principal": map[string]any{"Federated": "arn:aws:iam::111122223333:oidc-provider/oidc.eks.us-east-1.amazonaws.com/id/ABC"},
				"Condition": map[string]any{"StringEquals": map[string]any{"oidc.eks.us-east-1.amazonaws.com/id/ABC:sub": fmt.Sprintf("system:serviceaccount:ns%d:sa", i)}},
			}}},
			"AttachedManagedPolicies": attached,
			"RolePolicyList": []any{map[string]any{"PolicyName": "inline", "PolicyDocument": map[string]any{"Version": "2012-10-17", "Statement": []any{
				map[string]any{"Effect": "Allow", "Action": "sqs:SendMessage", "Resource": fmt.Sprintf("arn:aws:sqs:us-east-1:111122223333:q%d", i)}}}}}})
	}
	b, _ := json.MarshalIndent(map[string]any{"UserDetailList": []any{}, "GroupDetailList": []any{}, "RoleDetailList": rs, "Policies": ps}, "", " ")
	return b
}

// BenchmarkIAMScan is a whole offline scan of an account with 5,000 roles
// and 20,000 policies: reading the authorization details, enrichment (the
// effective-permission evaluation), building the Rego input and evaluating
// the iam/ and path/ rules.
func BenchmarkIAMScan(b *testing.B) {
	data := authDetails(5000, 20000)
	e, err := policies.Load(context.Background(), policies.Options{})
	if err != nil {
		b.Fatal(err)
	}
	var rules []policies.Rule
	for _, r := range e.Rules() {
		if strings.HasPrefix(r.ID, "iam/") || strings.HasPrefix(r.ID, "path/") {
			rules = append(rules, r)
		}
	}
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		g := graph.New()
		if err := (iam.Handler{}).Collect(context.Background(), "auth.json", data, g); err != nil {
			b.Fatal(err)
		}
		in, err := policies.BuildInput(g, enrich.Graph(context.Background(), g, enrich.Options{}))
		if err != nil {
			b.Fatal(err)
		}
		fs, ruleErrs, err := e.Eval(context.Background(), in, rules)
		if err != nil || len(ruleErrs) > 0 {
			b.Fatal(err, ruleErrs)
		}
		// r0, r250, … attach an admin policy; 1 role in 12.5 an escalation.
		if len(fs) < 5000/250 {
			b.Fatalf("only %d findings", len(fs))
		}
	}
}
