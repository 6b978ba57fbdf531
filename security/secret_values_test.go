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

// Secrets kept where they must not be, beyond Secrets and env: a
// ConfigMap's password, an annotation named like a token, a PEM private
// key or an AWS access key id in any value. They are replaced at graph
// entry, so no report format, query answer or snapshot holds them, while
// k8s/secret-in-env still reports the literal credential by name.
func TestSecretLookingValuesNeverOutput(t *testing.T) {
	value, _ := canary(t)
	keyID := "AKIA" + strings.ToUpper(fmt.Sprintf("%016x", len(value)*7919))[:16]
	pem := "-----BEGIN RSA PRIVATE KEY-----\\n" + value + "-pem\\n-----END RSA PRIVATE KEY-----\\n"
	dir := tree(t, map[string]string{
		"k8s/cm.yaml": fmt.Sprintf(`apiVersion: v1
kind: ConfigMap
metadata:
  name: app
  namespace: shop
  annotations:
    example.com/api-token: "%s-annotation"
    example.com/note: "deployed with %s"
data:
  password: "%s-cm"
  tls.key: "%s"
  level: debug
`, value, keyID, value, pem),
		"k8s/deploy.yaml": fmt.Sprintf(`apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - name: web
        image: nginx:1.27
        env:
        - {name: DB_PASSWORD, value: "%s-env"}
        - {name: TLS_CERT, value: "%s"}
`, value, pem),
	})
	secrets := []string{value, keyID}
	runs := scanAllFormats(t, dir, runOpts{}, "--fail-on", "none", "k8s")
	runs["html"] = run(t, dir, runOpts{}, "scan", "--format", "html", "--fail-on", "none", "k8s")
	runs["query"] = run(t, dir, runOpts{}, "query", `[o | some n in kscan.nodes; o := n.object]`, "--format", "json", "k8s")
	for _, s := range secrets {
		assertNoLeak(t, s, runs)
	}
	for _, want := range []string{"DB_PASSWORD", "TLS_CERT"} {
		if !strings.Contains(runs["json"].stdout, "k8s/secret-in-env") || !strings.Contains(runs["json"].stdout, want) {
			t.Errorf("k8s/secret-in-env does not report %s:\n%s", want, tail(runs["json"].stdout))
		}
	}
	if r := run(t, dir, runOpts{}, "snapshot", "--output", "snap.kscan.gz", "k8s"); r.code != 0 {
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
	for _, s := range secrets {
		if bytes.Contains(snap, []byte(s)) {
			t.Errorf("the snapshot holds %q", s)
		}
	}
}
