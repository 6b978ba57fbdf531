package iampolicy

import (
	"strings"
	"testing"

	"github.com/kscan-io/kscan/graph"
)

const acct = "arn:aws:iam::111122223333:"

func trustFor(sub string) map[string]any {
	return map[string]any{"Version": "2012-10-17", "Statement": []any{map[string]any{
		"Effect": "Allow", "Action": "sts:AssumeRoleWithWebIdentity",
		"Principal": map[string]any{"Federated": acct + "oidc-provider/" + iss},
		"Condition": map[string]any{"StringEquals": map[string]any{iss + ":sub": sub}},
	}}}
}

func saNode(ns, name, role string) *graph.Node {
	return graph.NewK8sNode(map[string]any{"apiVersion": "v1", "kind": "ServiceAccount", "metadata": map[string]any{
		"name": name, "namespace": ns, "annotations": map[string]any{IRSAAnnotation: acct + "role/" + role}}}, graph.Source{Kind: graph.SourceFile, File: "sa.yaml"}, "")
}

func edgeSet(g *graph.Graph) map[string]bool {
	out := map[string]bool{}
	for _, e := range g.Edges() {
		out[e.From+" "+e.Type+" "+e.To] = true
	}
	return out
}

func TestEnrichEdgesAndErrors(t *testing.T) {
	g := graph.New()
	src := graph.Source{Kind: graph.SourceFile, File: "auth.json", Line: 7}
	g.AddNode(&graph.Node{ID: acct + "user/alice", Type: TypeUser, Source: src, Object: map[string]any{
		"UserName": "alice", "GroupList": []any{"ops"},
		"UserPolicyList": []any{map[string]any{"PolicyName": "broken", "PolicyDocument": "{not json"}},
	}})
	g.AddNode(&graph.Node{ID: acct + "group/ops", Type: TypeGroup, Source: src, Object: map[string]any{
		"GroupName": "ops", "AttachedManagedPolicies": []any{map[string]any{"PolicyArn": "arn:aws:iam::aws:policy/AdministratorAccess"}},
	}})
	g.AddNode(&graph.Node{ID: acct + "role/web", Type: TypeRole, Source: src, Object: map[string]any{
		"RoleName": "web", "AssumeRolePolicyDocument": trustFor("system:serviceaccount:shop:web"),
		"AttachedManagedPolicies": []any{map[string]any{"PolicyArn": acct + "policy/future"}},
	}})
	g.AddNode(&graph.Node{ID: acct + "policy/future", Type: TypePolicy, Source: src, Object: map[string]any{
		"Document": map[string]any{"Version": "2030-01-01", "Statement": []any{}},
	}})
	g.AddNode(saNode("shop", "web", "web"))
	g.AddNode(saNode("shop", "other", "web"))

	facts := Enrich(g, EnrichOptions{})
	edges := edgeSet(g)
	for _, want := range []string{
		acct + "user/alice member-of " + acct + "group/ops",
		acct + "group/ops has-policy arn:aws:iam::aws:policy/AdministratorAccess",
		acct + "user/alice has-policy " + acct + "user/alice/inline-policy/broken",
		acct + "role/web has-policy " + acct + "policy/future",
		acct + "role/web trusts " + acct + "oidc-provider/" + iss,
		"shop/ServiceAccount/web assumes " + acct + "role/web",
	} {
		if !edges[want] {
			t.Errorf("missing edge %s", want)
		}
	}
	if edges["shop/ServiceAccount/other assumes "+acct+"role/web"] {
		t.Error("a ServiceAccount the trust policy rejects got an assumes edge")
	}
	alice, _ := g.Node(acct + "user/alice")
	if alice.Attrs["admin"] != true {
		t.Errorf("alice (admin through group ops) attrs = %v", alice.Attrs)
	}
	var msgs []string
	for _, e := range g.Errors() {
		msgs = append(msgs, e.Error())
	}
	all := strings.Join(msgs, "\n")
	for _, want := range []string{
		`auth.json:7 (` + acct + `user/alice): inline policy "broken": policy document is not valid JSON`,
		`auth.json:7 (` + acct + `policy/future): policy document: unknown policy Version "2030-01-01"`,
	} {
		if !strings.Contains(all, want) {
			t.Errorf("errors:\n%s\nwant one containing %q", all, want)
		}
	}
	irsa, _ := facts["irsa"].([]any)
	if len(irsa) != 2 {
		t.Fatalf("irsa facts = %v", irsa)
	}
	for _, x := range irsa {
		m := x.(map[string]any)
		if want := m["sa"] == "shop/ServiceAccount/web"; m["admitted"] != want {
			t.Errorf("irsa %v: admitted = %v, want %v", m["sa"], m["admitted"], want)
		}
	}
}

// TestEnrichClusterIssuer: with an EKS cluster in the graph, IRSA must go
// through that cluster's OIDC provider.
func TestEnrichClusterIssuer(t *testing.T) {
	tests := []struct {
		issuer string
		want   bool
	}{
		{"https://" + iss, true},
		{"https://oidc.eks.us-east-1.amazonaws.com/id/OTHER", false},
	}
	for _, tc := range tests {
		g := graph.New()
		g.AddNode(&graph.Node{ID: acct + "role/web", Type: TypeRole, Object: map[string]any{
			"RoleName": "web", "AssumeRolePolicyDocument": trustFor("system:serviceaccount:shop:web")}})
		g.AddNode(saNode("shop", "web", "web"))
		g.AddNode(&graph.Node{ID: "arn:aws:eks:us-east-1:111122223333:cluster/prod", Type: TypeEKSCluster,
			Object: map[string]any{"identity": map[string]any{"oidc": map[string]any{"issuer": tc.issuer}}}})
		Enrich(g, EnrichOptions{})
		if got := edgeSet(g)["shop/ServiceAccount/web assumes "+acct+"role/web"]; got != tc.want {
			t.Errorf("issuer %s: assumes edge = %v, want %v", tc.issuer, got, tc.want)
		}
	}
}
