package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

// A finding an overlay's patch causes (privileged: true patched into a
// base Deployment) points at the patch, with the base declaration as a
// related location; findings the base has anyway stay at the base.
func TestOverlayPatchLocation(t *testing.T) {
	root := t.TempDir()
	files := map[string]string{
		"base/kustomization.yaml": "resources: [deploy.yaml]\n",
		"base/deploy.yaml": `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
        - name: web
          image: nginx:1.27
`,
		"overlays/prod/kustomization.yaml": `namespace: prod
resources: [../../base]
patches:
  - patch: |-
      - {op: add, path: /spec/replicas, value: 3}
    target: {kind: Deployment, name: web}
  - path: privileged.yaml
`,
		"overlays/prod/privileged.yaml": `# prod needs the host
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  template:
    spec:
      containers:
        - name: web
          securityContext:
            privileged: true
`,
	}
	for name, content := range files {
		p := filepath.Join(root, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	code, out, stderr := kscan(t, root, "", "scan", ".", "-f", "json")
	if code != 1 {
		t.Fatalf("exit %d, stderr %s", code, stderr)
	}
	var rep struct {
		Findings []struct {
			RuleID   string   `json:"ruleId"`
			Resource string   `json:"resource"`
			Related  []string `json:"related"`
			Location struct {
				File string `json:"file"`
				Line int    `json:"line"`
			} `json:"location"`
		} `json:"findings"`
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, f := range rep.Findings {
		if f.Resource != "prod/Deployment/web" {
			continue
		}
		seen[f.RuleID] = true
		at := f.Location.File
		switch f.RuleID {
		case "k8s/privileged-container":
			if at != "overlays/prod/privileged.yaml" || f.Location.Line != 2 {
				t.Errorf("%s at %s:%d, want overlays/prod/privileged.yaml:2 (the patch)", f.RuleID, at, f.Location.Line)
			}
			if len(f.Related) != 1 || f.Related[0] != "prod/Deployment/web (base)" {
				t.Errorf("%s related %v, want the base", f.RuleID, f.Related)
			}
		default:
			if at != "base/deploy.yaml" {
				t.Errorf("%s (not caused by a patch) at %s, want base/deploy.yaml", f.RuleID, at)
			}
		}
	}
	if !seen["k8s/privileged-container"] || len(seen) < 2 {
		t.Errorf("findings on the Deployment: %v", seen)
	}
	// SARIF: the base as a related location with its file.
	code, out, _ = kscan(t, root, "", "scan", ".", "-f", "sarif")
	if code != 1 {
		t.Fatalf("sarif exit %d", code)
	}
	var sarif struct {
		Runs []struct {
			Results []struct {
				RuleID  string `json:"ruleId"`
				Related []struct {
					Physical struct {
						Artifact struct {
							URI string `json:"uri"`
						} `json:"artifactLocation"`
					} `json:"physicalLocation"`
				} `json:"relatedLocations"`
			} `json:"results"`
		} `json:"runs"`
	}
	if err := json.Unmarshal([]byte(out), &sarif); err != nil {
		t.Fatal(err)
	}
	found := false
	for _, r := range sarif.Runs[0].Results {
		if r.RuleID == "k8s/privileged-container" {
			for _, rl := range r.Related {
				found = found || rl.Physical.Artifact.URI == "base/deploy.yaml"
			}
		}
	}
	if !found {
		t.Error("SARIF: the privileged finding has no related location at base/deploy.yaml")
	}
}
