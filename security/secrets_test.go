package security

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Secrets kept where they must not be: kubectl's last-applied annotation
// (the whole Secret, data in clear) and managedFields, and the literal env
// values of workloads, must not reach the snapshot (kscan snapshot, and the
// in-cluster snapshot ConfigMap written the same way) nor any report.
func TestSnapshotHoldsNoSecretValues(t *testing.T) {
	applied, _ := canary(t)
	managed := applied + "-managed"
	envValue := applied + "-env"
	deployApplied := applied + "-deploy"
	files := map[string]string{
		"k8s/secret.yaml": fmt.Sprintf(`apiVersion: v1
kind: Secret
metadata:
  name: db
  namespace: shop
  annotations:
    kubectl.kubernetes.io/last-applied-configuration: '{"apiVersion":"v1","kind":"Secret","stringData":{"password":"%s"}}'
  managedFields:
  - manager: kubectl
    fieldsV1: {"f:stringData": {"f:%s": {}}}
type: Opaque
data: {password: aHVudGVyMg==}
`, applied, managed),
		"k8s/deploy.yaml": fmt.Sprintf(`apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop
  annotations:
    kubectl.kubernetes.io/last-applied-configuration: '{"spec":{"x":"%s"}}'
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - name: web
        image: nginx:1.27
        env:
        - {name: DB_PASSWORD, value: "%s"}
        - name: TOKEN
          valueFrom: {secretKeyRef: {name: db, key: password}}
`, deployApplied, envValue),
	}
	dir := tree(t, files)
	r := run(t, dir, runOpts{}, "snapshot", "--output", "snap.kscan.gz", "k8s")
	if r.code != 0 {
		t.Fatalf("kscan snapshot: exit %d\n%s", r.code, tail(r.stderr))
	}
	f, err := os.Open(filepath.Join(dir, "snap.kscan.gz"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	snap, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range []string{applied, managed, envValue, deployApplied} {
		if bytes.Contains(snap, []byte(v)) {
			t.Errorf("the snapshot holds %q", v)
		}
	}
	for _, want := range []string{"DB_PASSWORD", "secretKeyRef"} {
		if !bytes.Contains(snap, []byte(want)) {
			t.Errorf("the snapshot lost %s (names and references stay)", want)
		}
	}
	runs := scanAllFormats(t, dir, runOpts{}, "--fail-on", "none", "k8s")
	for _, v := range []string{applied, managed, deployApplied, envValue} {
		assertNoLeak(t, v, runs)
	}
	// The snapshot scanned again, and a snapshot written by an older kscan
	// that kept the annotation, hold nothing either.
	runs = scanAllFormats(t, dir, runOpts{}, "--fail-on", "none", "snap.kscan.gz")
	assertNoLeak(t, applied, runs)
}

// Attack: a secretGenerator literal without "=" was echoed whole (the
// secret) in the error, hence in every report.
func TestKustomizeLiteralNotEchoed(t *testing.T) {
	value, _ := canary(t)
	dir := tree(t, map[string]string{
		"k8s/kustomization.yaml": "secretGenerator:\n- name: s\n  literals:\n  - " + value + "\n",
	})
	runs := scanAllFormats(t, dir, runOpts{}, "--fail-on", "none", "k8s")
	assertNoLeak(t, value, runs)
	for f, r := range runs {
		if r.code != 2 || !strings.Contains(r.stderr, "k8s/kustomization.yaml:4") {
			t.Errorf("%s: exit %d, want 2 and the error at the literal's line:\n%s", f, r.code, tail(r.stderr))
		}
	}
}

// pulumi/plaintext-secret covers names with an encoding suffix
// (privateKeyPem) and what the random provider generates (result), and
// never prints the value.
func TestPulumiGeneratedSecrets(t *testing.T) {
	value, _ := canary(t)
	state := fmt.Sprintf(`{"version": 3, "deployment": {"manifest": {"time": "2026-11-02T10:17:00Z", "version": "v3.259.0"}, "resources": [
 {"urn": "urn:pulumi:dev::shop::pulumi:pulumi:Stack::shop-dev", "custom": false, "type": "pulumi:pulumi:Stack"},
 {"urn": "urn:pulumi:dev::shop::random:index/randomString:RandomString::dbpass", "custom": true, "id": "x", "type": "random:index/randomString:RandomString",
  "inputs": {"length": 24, "special": false}, "outputs": {"length": 24, "result": "%s-result"}},
 {"urn": "urn:pulumi:dev::shop::tls:index/privateKey:PrivateKey::ca", "custom": true, "id": "y", "type": "tls:index/privateKey:PrivateKey",
  "inputs": {"algorithm": "RSA"}, "outputs": {"algorithm": "RSA", "privateKeyPem": "%s-pem", "publicKeyPem": "-----BEGIN PUBLIC KEY-----"}}
]}}`, value, value)
	dir := tree(t, map[string]string{"stack.json": state})
	runs := scanAllFormats(t, dir, runOpts{}, "--fail-on", "none", "stack.json")
	assertNoLeak(t, value, runs)
	out := runs["json"].stdout
	for _, want := range []string{`output \"result\"`, `output \"privateKeyPem\"`} {
		if !strings.Contains(out, "pulumi/plaintext-secret") || !strings.Contains(out, want) {
			t.Errorf("pulumi/plaintext-secret does not report %s:\n%s", want, tail(out))
		}
	}
}
