package normalize

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/kscan-io/kscan/graph"
)

const secretText = "hunter2-plaintext-never-shown"

func TestClean(t *testing.T) {
	tests := []struct {
		name         string
		in           map[string]any
		want         map[string]any
		secrets, unk []string
	}{
		{"ciphertext secret", map[string]any{"password": map[string]any{sigKey: sigSecret, "ciphertext": "v1:abc:" + secretText}},
			map[string]any{"password": SecretMarker}, []string{"p.password"}, nil},
		{"plaintext secret", map[string]any{"data": map[string]any{sigKey: sigSecret, "plaintext": `{"k":"` + secretText + `"}`}},
			map[string]any{"data": SecretMarker}, []string{"p.data"}, nil},
		{"nested secret in list", map[string]any{"env": []any{map[string]any{"value": map[string]any{sigKey: sigSecret, "value": secretText}}}},
			map[string]any{"env": []any{map[string]any{"value": SecretMarker}}}, []string{"p.env[0].value"}, nil},
		{"unknown string", map[string]any{"arn": unknownValue},
			map[string]any{"arn": UnknownMarker}, nil, []string{"p.arn"}},
		{"output value unknown", map[string]any{"id": map[string]any{sigKey: sigOutput, "dependencies": []any{"urn:x"}}},
			map[string]any{"id": UnknownMarker}, nil, []string{"p.id"}},
		{"output value known", map[string]any{"n": map[string]any{sigKey: sigOutput, "value": int64(3)}},
			map[string]any{"n": int64(3)}, nil, nil},
		{"output value secret", map[string]any{"n": map[string]any{sigKey: sigOutput, "value": secretText, "secret": true}},
			map[string]any{"n": SecretMarker}, []string{"p.n"}, nil},
		{"resource reference", map[string]any{"vpc": map[string]any{sigKey: sigResRef, "urn": "urn:pulumi:s::p::aws:ec2/vpc:Vpc::main", "id": "vpc-1"}},
			map[string]any{"vpc": "vpc-1"}, nil, nil},
		{"asset keeps location only", map[string]any{"code": map[string]any{sigKey: sigAsset, "path": "./app.zip", "text": secretText}},
			map[string]any{"code": map[string]any{"path": "./app.zip"}}, nil, nil},
		{"plain values kept", map[string]any{"a": "x", "b": false, "c": []any{int64(1)}},
			map[string]any{"a": "x", "b": false, "c": []any{int64(1)}}, nil, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := Clean(tc.in, "p")
			if !reflect.DeepEqual(got.Value, tc.want) {
				t.Errorf("value = %#v, want %#v", got.Value, tc.want)
			}
			if !reflect.DeepEqual(got.Secrets, tc.secrets) || !reflect.DeepEqual(got.Unknowns, tc.unk) {
				t.Errorf("secrets %v unknowns %v, want %v %v", got.Secrets, got.Unknowns, tc.secrets, tc.unk)
			}
			b, _ := json.Marshal(got)
			if strings.Contains(string(b), secretText) {
				t.Errorf("secret text kept: %s", b)
			}
		})
	}
}

func TestLooksSecret(t *testing.T) {
	tests := map[string]bool{
		"password": true, "masterPassword": true, "db_password": true, "clientSecret": true,
		"apiToken": true, "privateKey": true, "ssh_private_key": true, "connectionString": true,
		"apiKey": true, "secretString": true, "auth-token": true, "secret": true,
		"secretName": false, "secretKeyRef": false, "passwordLength": false, "tokenExpirationSeconds": false,
		"kmsKeyId": false, "accessKeyId": false, "name": false, "secretArn": false, "automountServiceAccountToken": true,
		"privateKeyPem": true, "private_key_openssh": true, "privateKeyPemPkcs8": true, "token": true, "tokens": true,
		"publicKeyPem": false, "pem": false, "certPem": false,
	}
	for name, want := range tests {
		if got := LooksSecret(name); got != want {
			t.Errorf("LooksSecret(%q) = %v, want %v", name, got, want)
		}
	}
}

func TestKubernetesResource(t *testing.T) {
	urn := "urn:pulumi:prod::shop::kubernetes:apps/v1:Deployment::web"
	in := map[string]any{"apiVersion": "apps/v1", "kind": "Deployment",
		"metadata": map[string]any{"annotations": map[string]any{"pulumi.com/autonamed": "true"}},
		"spec":     map[string]any{"template": map[string]any{"spec": map[string]any{"containers": []any{map[string]any{"name": "web", "image": "nginx"}}}}}}
	out := map[string]any{"__inputs": in, "apiVersion": "apps/v1", "kind": "Deployment",
		"metadata": map[string]any{"name": "web-1a2b", "namespace": "shop", "uid": "u-1"}, "status": map[string]any{"replicas": int64(1)}}
	src := graph.Source{Kind: graph.SourcePulumiState, File: "state.json"}
	nodes := NodesFromResource(urn, "kubernetes:apps/v1:Deployment", in, out, src)
	if len(nodes) != 1 {
		t.Fatalf("got %d nodes", len(nodes))
	}
	n := nodes[0]
	if n.ID != urn || n.Type != "k8s:apps/Deployment" || n.Source.URN != urn || n.Source.File != "state.json" {
		t.Errorf("node = %s %s %+v", n.ID, n.Type, n.Source)
	}
	if n.Attrs[AttrK8sID] != "shop/Deployment/web-1a2b" {
		t.Errorf("k8s_id = %v", n.Attrs[AttrK8sID])
	}
	if _, has := n.Object["status"]; has {
		t.Error("status from outputs leaked into the declared object")
	}
	kind, ns, name := graph.K8sMeta(n)
	if kind != "Deployment" || ns != "shop" || name != "web-1a2b" {
		t.Errorf("meta = %s %s %s", kind, ns, name)
	}
}

func TestAWSResources(t *testing.T) {
	src := graph.Source{Kind: graph.SourcePulumiState, File: "s.json"}
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"sts:AssumeRole"}]}`
	role := NodesFromResource("urn:pulumi:p::s::aws:iam/role:Role::r", "aws:iam/role:Role",
		map[string]any{"assumeRolePolicy": trust, "name": "r-1"},
		map[string]any{"arn": "arn:aws:iam::123456789012:role/r-1", "name": "r-1", "assumeRolePolicy": trust}, src)[0]
	att := NodesFromResource("urn:pulumi:p::s::aws:iam/rolePolicyAttachment:RolePolicyAttachment::a", "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
		map[string]any{"role": "r-1", "policyArn": "arn:aws:iam::aws:policy/AdministratorAccess"}, nil, src)[0]
	Link([]*graph.Node{role, att})
	if role.Type != TypeIAMRole || role.ID != "urn:pulumi:p::s::aws:iam/role:Role::r" {
		t.Errorf("role = %s %s", role.Type, role.ID)
	}
	if role.Object["Arn"] != "arn:aws:iam::123456789012:role/r-1" || role.Object["RoleName"] != "r-1" {
		t.Errorf("role object = %v", role.Object)
	}
	doc, ok := role.Object["AssumeRolePolicyDocument"].(map[string]any)
	if !ok || doc["Version"] != "2012-10-17" {
		t.Errorf("trust policy not parsed: %#v", role.Object["AssumeRolePolicyDocument"])
	}
	am, _ := role.Object["AttachedManagedPolicies"].([]any)
	if len(am) != 1 || am[0].(map[string]any)["PolicyArn"] != "arn:aws:iam::aws:policy/AdministratorAccess" {
		t.Errorf("attachment not folded into role: %v", am)
	}

	unknownRole := NodesFromResource("urn:pulumi:p::s::aws:iam/role:Role::u", "aws:iam/role:Role",
		map[string]any{"assumeRolePolicy": trust, "name": "u"}, map[string]any{"arn": unknownValue}, src)[0]
	if _, has := unknownRole.Object["Arn"]; has {
		t.Errorf("unknown ARN must be absent, got %v", unknownRole.Object["Arn"])
	}

	repo := NodesFromResource("urn:pulumi:p::s::aws:ecr/repository:Repository::api", "aws:ecr/repository:Repository",
		map[string]any{"name": "api"}, map[string]any{"repositoryUrl": "123456789012.dkr.ecr.eu-west-1.amazonaws.com/api"}, src)[0]
	if repo.Type != TypeRepository || repo.Object["imageTagMutability"] != "MUTABLE" ||
		repo.Object["imageScanningConfiguration"].(map[string]any)["scanOnPush"] != false ||
		repo.Attrs["repository_id"] != "123456789012.dkr.ecr.eu-west-1.amazonaws.com/api" {
		t.Errorf("repository = %v attrs %v", repo.Object, repo.Attrs)
	}

	sg := NodesFromResource("urn:pulumi:p::s::aws:ec2/securityGroup:SecurityGroup::web", "aws:ec2/securityGroup:SecurityGroup",
		map[string]any{"ingress": []any{}}, nil, src)[0]
	if sg.Type != "aws:ec2/SecurityGroup" {
		t.Errorf("security group type = %s", sg.Type)
	}
}

func TestPlaintextSecrets(t *testing.T) {
	src := graph.Source{Kind: graph.SourcePulumiState, File: "s.json"}
	tests := []struct {
		name    string
		typ     string
		in, out map[string]any
		want    []string
	}{
		{"plain password in and out reported once", "aws:rds/instance:Instance",
			map[string]any{"password": secretText, "username": "app"}, map[string]any{"password": secretText}, []string{"inputs.password"}},
		{"secret password", "aws:rds/instance:Instance",
			map[string]any{"password": map[string]any{sigKey: sigSecret, "ciphertext": "x"}}, nil, nil},
		{"unknown token", "aws:x/y:Y", map[string]any{"token": unknownValue}, nil, nil},
		{"k8s secret stringData", "kubernetes:core/v1:Secret",
			map[string]any{"apiVersion": "v1", "kind": "Secret", "metadata": map[string]any{"name": "s"}, "stringData": map[string]any{"dsn": secretText}}, nil,
			[]string{"inputs.stringData.dsn"}},
		{"reference names are not secrets", "kubernetes:apps/v1:Deployment",
			map[string]any{"apiVersion": "apps/v1", "kind": "Deployment", "metadata": map[string]any{"name": "d"},
				"spec": map[string]any{"template": map[string]any{"spec": map[string]any{"containers": []any{map[string]any{"name": "c",
					"env": []any{map[string]any{"name": "PASSWORD", "valueFrom": map[string]any{"secretKeyRef": map[string]any{"name": "s", "key": "password"}}}}}}}}}},
			nil, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			n := NodesFromResource("urn:pulumi:p::s::"+tc.typ+"::x", tc.typ, tc.in, tc.out, src)[0]
			p := n.Attrs[AttrPulumi].(map[string]any)
			var got []string
			if l, ok := p["plaintext_secrets"].([]any); ok {
				for _, e := range l {
					got = append(got, e.(string))
				}
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("plaintext_secrets = %v, want %v", got, tc.want)
			}
			b, _ := json.Marshal(n)
			if strings.Contains(string(b), secretText) {
				t.Errorf("value kept in node: %s", b)
			}
		})
	}
}

// The random provider's generated values are secrets whatever their
// property is called.
func TestGeneratedSecrets(t *testing.T) {
	tests := []struct {
		typ   string
		props map[string]any
		want  []string
	}{
		{"random:index/randomPassword:RandomPassword", map[string]any{"result": "x", "length": 16.0}, []string{"outputs.result"}},
		{"random:index/randomString:RandomString", map[string]any{"result": "x", "special": false}, []string{"outputs.result"}},
		{"random:index/randomBytes:RandomBytes", map[string]any{"base64": "eA==", "hex": "78"}, []string{"outputs.base64", "outputs.hex"}},
		{"random:index/randomPet:RandomPet", map[string]any{"id": "happy-cat"}, nil},
		{"tls:index/privateKey:PrivateKey", map[string]any{"privateKeyPem": "-----BEGIN", "publicKeyPem": "-----BEGIN"}, []string{"outputs.privateKeyPem"}},
	}
	for _, tc := range tests {
		got := plaintextSecrets(tc.typ, tc.props, "outputs")
		if strings.Join(got, ",") != strings.Join(tc.want, ",") {
			t.Errorf("%s: %v, want %v", tc.typ, got, tc.want)
		}
	}
}
