package iampolicy

import (
	"fmt"
	"testing"

	"github.com/kscan-io/kscan/graph"
)

// benchGraph is an account with the given numbers of roles and managed
// policies: each role attaches four policies and has one inline policy and
// an IRSA trust policy; one policy in 50 is an escalation path.
func benchGraph(roles, policies int) *graph.Graph {
	g := graph.New()
	src := graph.Source{Kind: graph.SourceFile, File: "bench.json"}
	for i := 0; i < policies; i++ {
		arn := fmt.Sprintf("arn:aws:iam::111122223333:policy/p%d", i)
		stmts := []any{
			map[string]any{"Effect": "Allow", "Action": []any{"s3:GetObject", "s3:PutObject", "s3:List*"}, "Resource": fmt.Sprintf("arn:aws:s3:::bucket-%d/*", i)},
			map[string]any{"Effect": "Allow", "Action": []any{"dynamodb:Query", "dynamodb:GetItem"}, "Resource": "*"},
			map[string]any{"Effect": "Deny", "Action": "s3:DeleteBucket", "Resource": "*", "Condition": map[string]any{"Bool": map[string]any{"aws:MultiFactorAuthPresent": "false"}}},
		}
		if i%50 == 0 {
			stmts = append(stmts, map[string]any{"Effect": "Allow", "Action": []any{"iam:PassRole", "lambda:CreateFunction"}, "Resource": "*"})
		}
		g.AddNode(&graph.Node{ID: arn, Type: TypePolicy, Source: src, Object: map[string]any{
			"Arn": arn, "PolicyName": fmt.Sprintf("p%d", i), "Document": map[string]any{"Version": "2012-10-17", "Statement": stmts}}})
	}
	for i := 0; i < roles; i++ {
		arn := fmt.Sprintf("arn:aws:iam::111122223333:role/r%d", i)
		var attached []any
		for k := 0; k < 4; k++ {
			p := (i*4 + k) % policies
			attached = append(attached, map[string]any{"PolicyArn": fmt.Sprintf("arn:aws:iam::111122223333:policy/p%d", p), "PolicyName": fmt.Sprintf("p%d", p)})
		}
		trust := map[string]any{"Version": "2012-10-17", "Statement": []any{map[string]any{
			"Effect": "Allow", "Action": "sts:AssumeRoleWithWebIdentity",
			"Principal": map[string]any{"Federated": "arn:aws:iam::111122223333:oidc-provider/oidc.eks.us-east-1.amazonaws.com/id/ABC"},
			"Condition": map[string]any{"StringEquals": map[string]any{"oidc.eks.us-east-1.amazonaws.com/id/ABC:sub": fmt.Sprintf("system:serviceaccount:ns%d:sa", i)}},
		}}}
		inline := []any{map[string]any{"PolicyName": "inline", "PolicyDocument": map[string]any{"Version": "2012-10-17", "Statement": []any{
			map[string]any{"Effect": "Allow", "Action": "sqs:SendMessage", "Resource": fmt.Sprintf("arn:aws:sqs:us-east-1:111122223333:q%d", i)}}}}}
		g.AddNode(&graph.Node{ID: arn, Type: TypeRole, Source: src, Object: map[string]any{
			"Arn": arn, "RoleName": fmt.Sprintf("r%d", i), "AssumeRolePolicyDocument": trust,
			"AttachedManagedPolicies": attached, "RolePolicyList": inline}})
	}
	return g
}

// BenchmarkIAMEnrich evaluates effective permissions, escalation paths and
// trust policies of an account with 5,000 roles and 20,000 policies.
func BenchmarkIAMEnrich(b *testing.B) {
	for b.Loop() {
		b.StopTimer()
		g := benchGraph(5000, 20000)
		b.StartTimer()
		Enrich(g, EnrichOptions{})
	}
}
