package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kscan-io/kscan/snapshot"
)

const rbacFixture = `apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: exec, namespace: shop}
rules:
- {apiGroups: [""], resources: [pods/exec], verbs: [create]}
- {apiGroups: [""], resources: [pods], verbs: [get, list]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: ops-exec, namespace: shop}
roleRef: {kind: Role, name: exec}
subjects: [{kind: Group, name: ops}, {kind: ServiceAccount, name: debugger}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: alice-admin}
roleRef: {kind: ClusterRole, name: cluster-admin}
subjects: [{kind: User, name: alice}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: bob-view, namespace: web}
roleRef: {kind: ClusterRole, name: view}
subjects: [{kind: User, name: bob}]
`

func rbacDir(t *testing.T, docs string) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "rbac.yaml"), []byte(docs), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestWhoCan(t *testing.T) {
	dir := rbacDir(t, rbacFixture)
	tests := []struct {
		name     string
		args     []string
		want     []string // substrings of stdout
		wantNot  []string
		wantCode int
	}{
		{"exec in shop", []string{"who-can", "create", "pods/exec", "-n", "shop", "rbac.yaml"},
			[]string{"Group ops", "ServiceAccount shop/debugger", "RoleBinding shop/ops-exec", "Role shop/exec", "rbac.yaml:8", "User alice", "ClusterRole cluster-admin"},
			[]string{"User bob"}, 0},
		{"exec elsewhere", []string{"who-can", "create", "pods/exec", "-n", "web", "rbac.yaml"},
			[]string{"User alice"}, []string{"Group ops", "User bob"}, 0},
		{"any namespace", []string{"who-can", "list", "pods", "rbac.yaml"},
			[]string{"Group ops", "User alice", "User bob", "web"}, nil, 0},
		{"deployments need no group", []string{"who-can", "watch", "deployments", "-n", "web", "rbac.yaml"},
			[]string{"User bob", "RoleBinding web/bob-view"}, []string{"Group ops"}, 0},
		{"non-resource URL", []string{"who-can", "get", "/metrics", "rbac.yaml"},
			[]string{"User alice"}, []string{"User bob"}, 0},
		{"nobody", []string{"who-can", "escalate", "roles.rbac.authorization.k8s.io", "-n", "shop", "--cluster-scope", "rbac.yaml"},
			[]string{"User alice"}, []string{"Group ops"}, 0},
		{"bad input is exit 2", []string{"who-can", "get", "pods", "rbac.yaml", "missing.yaml"}, []string{"User alice"}, nil, 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := kscan(t, dir, "", tc.args...)
			if code != tc.wantCode {
				t.Fatalf("exit %d, want %d; stderr: %s", code, tc.wantCode, errOut)
			}
			for _, w := range tc.want {
				if !strings.Contains(out, w) {
					t.Errorf("output lacks %q:\n%s", w, out)
				}
			}
			for _, w := range tc.wantNot {
				if strings.Contains(out, w) {
					t.Errorf("output has %q:\n%s", w, out)
				}
			}
		})
	}
}

func TestWhoCanJSONAndAccess(t *testing.T) {
	dir := rbacDir(t, rbacFixture)
	code, out, errOut := kscan(t, dir, "", "who-can", "create", "pods/exec", "-n", "shop", "--format", "json", "rbac.yaml")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var rows []whoCanRow
	if err := json.Unmarshal([]byte(out), &rows); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	if len(rows) != 3 {
		t.Errorf("want 3 rows (alice, ops, debugger), got %+v", rows)
	}

	code, out, errOut = kscan(t, dir, "", "access", "sa:shop/debugger", "--format", "json", "rbac.yaml")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var acc accessOutput
	if err := json.Unmarshal([]byte(out), &acc); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	if acc.Subject.Kind != "ServiceAccount" || len(acc.Grants) != 2 {
		t.Fatalf("access: %+v", acc)
	}
	g := acc.Grants[0]
	if g.Namespace != "shop" || g.Resource != "pods" || strings.Join(g.Verbs, ",") != "get,list" || g.Via[0] != "RoleBinding shop/ops-exec -> Role shop/exec" {
		t.Errorf("first grant: %+v", g)
	}
	// A table, with a group given.
	code, out, _ = kscan(t, dir, "", "access", "carol", "--group", "ops", "rbac.yaml")
	if code != 0 || !strings.Contains(out, "pods/exec") || !strings.Contains(out, "groups: system:authenticated, ops") {
		t.Errorf("access carol --group ops (exit %d):\n%s", code, out)
	}
	if code, _, errOut := kscan(t, dir, "", "access", "sa:nonamespace", "rbac.yaml"); code == 0 || !strings.Contains(errOut, "ServiceAccount:<namespace>/<name>") {
		t.Errorf("bad subject: exit %d, %s", code, errOut)
	}
}

func TestSnapshotCommand(t *testing.T) {
	dir := rbacDir(t, rbacFixture+`---
apiVersion: v1
kind: Secret
metadata: {name: db, namespace: shop}
stringData: {password: hunter2}
`)
	code, _, errOut := kscan(t, dir, "", "snapshot", "rbac.yaml", "--output", "snap.kscan.gz")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	data, err := os.ReadFile(filepath.Join(dir, "snap.kscan.gz"))
	if err != nil {
		t.Fatal(err)
	}
	if !snapshot.IsSnapshot(data) {
		t.Fatal("not a snapshot")
	}
	g, err := snapshot.Read(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	if g.Len() != 5 {
		t.Errorf("snapshot has %d nodes, want the 5 objects", g.Len())
	}
	// The edges between them are in the snapshot (jq can follow them);
	// those to nodes kscan derives (subjects, built-in roles, namespaces
	// no file declares) are not, with those nodes.
	if got, want := fmt.Sprint(g.Edges()), "[{shop/RoleBinding/ops-exec shop/Role/exec grants}]"; got != want {
		t.Errorf("snapshot edges %s, want %s", got, want)
	}
	if bytes.Contains(data, []byte("hunter2")) {
		t.Error("secret in snapshot")
	}
	// The snapshot is an input like the files it was taken from.
	code, out, errOut := kscan(t, dir, "", "who-can", "create", "pods/exec", "-n", "shop", "snap.kscan.gz")
	if code != 0 || !strings.Contains(out, "ServiceAccount shop/debugger") || !strings.Contains(out, "rbac.yaml:8") {
		t.Errorf("who-can on the snapshot: exit %d %s\n%s", code, errOut, out)
	}
	// --baseline with the snapshot: drift since the snapshot is reported
	// (and new), the other findings are unchanged.
	changed := strings.Replace(rbacFixture, "name: bob}]", "name: mallory}]", 1)
	if err := os.WriteFile(filepath.Join(dir, "now.yaml"), []byte(changed), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errOut = kscan(t, dir, "", "scan", "now.yaml", "--baseline", "snap.kscan.gz", "--format", "json", "--fail-on", "none")
	if code != 0 {
		t.Fatalf("scan --baseline snapshot: exit %d %s", code, errOut)
	}
	var rep struct {
		Findings []struct{ RuleID, Message, BaselineState string }
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	var drift []string
	unchanged := 0
	for _, f := range rep.Findings {
		if f.RuleID == "rbac/drift" {
			drift = append(drift, f.BaselineState+" "+f.Message[:strings.Index(f.Message, ":")])
		} else if f.BaselineState == "unchanged" {
			unchanged++
		}
	}
	wantDrift := "new User mallory gained compared with the baseline snapshot\nnew User bob lost compared with the baseline snapshot"
	if strings.Join(drift, "\n") != wantDrift || unchanged == 0 {
		t.Errorf("drift findings:\n%s\nwant:\n%s\n(%d unchanged others)", strings.Join(drift, "\n"), wantDrift, unchanged)
	}
	if code, _, errOut := kscan(t, dir, "", "snapshot", "rbac.yaml"); code == 0 || !strings.Contains(errOut, "--output") {
		t.Errorf("snapshot without --output: exit %d %s", code, errOut)
	}
}

func TestScanDesired(t *testing.T) {
	dir := rbacDir(t, rbacFixture)
	desired := filepath.Join(dir, "desired")
	if err := os.Mkdir(desired, 0o755); err != nil {
		t.Fatal(err)
	}
	// The desired state lacks alice's binding and has carol's.
	want := strings.Replace(rbacFixture, "name: alice}]", "name: carol}]", 1)
	if err := os.WriteFile(filepath.Join(desired, "rbac.yaml"), []byte(want), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := kscan(t, dir, "", "scan", "rbac.yaml", "--desired", "desired", "--rules", "rbac/drift", "--format", "json", "--fail-on", "high")
	if code != 1 {
		t.Fatalf("exit %d, want 1 (a high drift); stderr %s", code, errOut)
	}
	var rep struct {
		Findings []struct{ RuleID, Severity, Message, Resource string }
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range rep.Findings {
		got = append(got, f.Severity+" "+f.Resource+" "+f.Message[:strings.Index(f.Message, " compared")])
	}
	wantF := []string{
		"high ClusterRoleBinding/alice-admin User alice gained",
		"low desired:ClusterRoleBinding/alice-admin User carol lost",
	}
	if strings.Join(got, "\n") != strings.Join(wantF, "\n") {
		t.Errorf("findings:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(wantF, "\n"))
	}
	if code, _, errOut := kscan(t, dir, "", "scan", "rbac.yaml", "--desired", "nope"); code == 0 || !strings.Contains(errOut, "--desired") {
		t.Errorf("missing --desired dir: exit %d %s", code, errOut)
	}
}
