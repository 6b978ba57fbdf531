package iam

import (
	"context"
	"strings"
	"testing"

	"github.com/kscan-io/kscan/graph"
)

func TestOfflineInputs(t *testing.T) {
	tests := []struct {
		name      string
		data      string
		match     bool
		wantNodes []string // "type id line"
		wantErrs  []string // substrings of "file:line: message"
	}{
		{
			name:  "entries with lines",
			data:  "{\n\"UserDetailList\": [\n  {\"Arn\": \"arn:aws:iam::1:user/a\", \"UserName\": \"a\"},\n  {\"Arn\": \"arn:aws:iam::1:user/b\", \"UserName\": \"b\"}\n],\n\"Unrelated\": {\"x\": [1]},\n\"RoleDetailList\": [\n\n  {\"Arn\": \"arn:aws:iam::1:role/r\"}]}\n",
			match: true,
			wantNodes: []string{
				"aws:iam/Role arn:aws:iam::1:role/r 9",
				"aws:iam/User arn:aws:iam::1:user/a 3",
				"aws:iam/User arn:aws:iam::1:user/b 4",
			},
		},
		{
			name:      "entry without Arn and a non-object entry",
			data:      "{\"RoleDetailList\": [\n{\"RoleName\": \"x\"},\n\"oops\",\n{\"Arn\": \"arn:aws:iam::1:role/ok\"}\n]}",
			match:     true,
			wantNodes: []string{"aws:iam/Role arn:aws:iam::1:role/ok 4"},
			wantErrs:  []string{"f.json:2: authorization details: RoleDetailList entry: entry has no Arn", "f.json:3: authorization details: an entry of RoleDetailList is not an object"},
		},
		{
			name:     "list that is not a list",
			data:     "{\"UserDetailList\": {\"a\": 1},\n\"RoleDetailList\": []}",
			match:    true,
			wantErrs: []string{"f.json:1: authorization details: UserDetailList is not a list"},
		},
		{
			name:      "truncated",
			data:      "{\"UserDetailList\": [\n{\"Arn\": \"arn:aws:iam::1:user/a\"},\n{\"Arn\": \"arn:aws:iam::1:us",
			match:     true,
			wantNodes: []string{"aws:iam/User arn:aws:iam::1:user/a 2"},
			wantErrs:  []string{"f.json:3: authorization details: invalid JSON: unexpected end of file (truncated?)"},
		},
		{
			name:      "pod identity without roleArn",
			data:      `{"associations": [{"clusterName": "c", "namespace": "ns", "serviceAccount": "sa", "associationArn": "arn:aws:eks:us-east-1:1:podidentityassociation/c/a-1", "associationId": "a-1"}]}`,
			match:     true,
			wantNodes: []string{"aws:eks/PodIdentityAssociation arn:aws:eks:us-east-1:1:podidentityassociation/c/a-1 0"},
			wantErrs:  []string{"has no roleArn"},
		},
		{
			name:      "eks cluster",
			data:      `{"cluster": {"name": "prod", "arn": "arn:aws:eks:us-east-1:1:cluster/prod", "identity": {"oidc": {"issuer": "https://oidc.eks.us-east-1.amazonaws.com/id/X"}}}}`,
			match:     true,
			wantNodes: []string{"aws:eks/Cluster arn:aws:eks:us-east-1:1:cluster/prod 0"},
		},
		{name: "kubernetes JSON", data: `{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x"}}`},
		{name: "YAML", data: "UserDetailList: []\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := Handler{}
			if got := h.Match("f.json", []byte(tc.data)); got != tc.match {
				t.Fatalf("Match = %v, want %v", got, tc.match)
			}
			if !tc.match {
				return
			}
			g := graph.New()
			if err := h.Collect(context.Background(), "f.json", []byte(tc.data), g); err != nil {
				t.Fatal(err)
			}
			var nodes []string
			for _, n := range g.Nodes() {
				nodes = append(nodes, n.Type+" "+n.ID+" "+itoa(n.Source.Line))
			}
			if strings.Join(nodes, "\n") != strings.Join(tc.wantNodes, "\n") {
				t.Errorf("nodes:\n%s\nwant:\n%s", strings.Join(nodes, "\n"), strings.Join(tc.wantNodes, "\n"))
			}
			var errs []string
			for _, e := range g.Errors() {
				errs = append(errs, e.Error())
			}
			if len(errs) != len(tc.wantErrs) {
				t.Fatalf("errors = %q, want %d", errs, len(tc.wantErrs))
			}
			for i, w := range tc.wantErrs {
				if !strings.Contains(errs[i], w) {
					t.Errorf("error %q does not contain %q", errs[i], w)
				}
			}
		})
	}
}

func TestConstructors(t *testing.T) {
	src := graph.Source{Kind: graph.SourcePulumiState, URN: "urn:pulumi:dev::p::aws:iam/role:Role::r"}
	r := RoleNode("arn:aws:iam::1:role/r", "r",
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}`,
		map[string]any{"b": "%7B%22Version%22%3A%222012-10-17%22%7D", "a": nil},
		[]string{"arn:aws:iam::aws:policy/ReadOnlyAccess"}, src)
	if r.ID != "arn:aws:iam::1:role/r" || r.Type != TypeRole || r.Source != src {
		t.Fatalf("node = %+v", r)
	}
	if _, ok := r.Object["AssumeRolePolicyDocument"].(map[string]any); !ok {
		t.Errorf("trust policy not decoded: %T", r.Object["AssumeRolePolicyDocument"])
	}
	inline := r.Object["RolePolicyList"].([]any)
	if len(inline) != 2 || inline[0].(map[string]any)["PolicyName"] != "a" || inline[0].(map[string]any)["PolicyDocument"] != nil {
		t.Errorf("inline = %v", inline)
	}
	if d, ok := inline[1].(map[string]any)["PolicyDocument"].(map[string]any); !ok || d["Version"] != "2012-10-17" {
		t.Errorf("URL-encoded inline document not decoded: %v", inline[1])
	}
	if a := r.Object["AttachedManagedPolicies"].([]any); len(a) != 1 || a[0].(map[string]any)["PolicyName"] != "ReadOnlyAccess" {
		t.Errorf("attached = %v", a)
	}
	// A placeholder identity (no ARN yet) still gives a node.
	if p := PolicyNode("", "p", nil, src); p == nil || p.Type != TypePolicy {
		t.Errorf("PolicyNode without ARN = %v", p)
	}
	u := UserNode("arn:aws:iam::1:user/u", "u", []string{"ops"}, nil, nil, src)
	if gl := u.Object["GroupList"].([]any); len(gl) != 1 || gl[0] != "ops" {
		t.Errorf("user = %v", u.Object)
	}
}
