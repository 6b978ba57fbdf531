package report

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/kscan-io/kscan/finding"
)

func gitlabSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", "gitlab-sast-schema-subset.json"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	doc, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource("sast.json", doc); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile("sast.json")
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestGitLabSAST(t *testing.T) {
	schema := gitlabSchema(t)
	t.Setenv("SOURCE_DATE_EPOCH", "1767225600")
	clean := &finding.Report{ToolName: "kscan", ToolVersion: "v1"}
	tests := []struct {
		name       string
		rep        *finding.Report
		wantVulns  int
		wantStatus string
	}{
		{"sample (suppressed left out, input error)", sampleReport(), 5, "failure"},
		{"clean", clean, 0, "success"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := Write(&buf, "gitlab-sast", tt.rep, Options{}); err != nil {
				t.Fatal(err)
			}
			inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(buf.Bytes()))
			if err != nil {
				t.Fatal(err)
			}
			if err := schema.Validate(inst); err != nil {
				t.Fatalf("report does not match GitLab's SAST schema: %v\n%s", err, buf.String())
			}
			var doc struct {
				Scan struct {
					Status    string `json:"status"`
					StartTime string `json:"start_time"`
				} `json:"scan"`
				Vulnerabilities []struct {
					ID       string `json:"id"`
					Severity string `json:"severity"`
					Location struct {
						File      string `json:"file"`
						StartLine int    `json:"start_line"`
					} `json:"location"`
					Identifiers []struct{ Value string } `json:"identifiers"`
				} `json:"vulnerabilities"`
			}
			if err := json.Unmarshal(buf.Bytes(), &doc); err != nil {
				t.Fatal(err)
			}
			if len(doc.Vulnerabilities) != tt.wantVulns || doc.Scan.Status != tt.wantStatus {
				t.Errorf("%d vulnerabilities, status %s; want %d, %s", len(doc.Vulnerabilities), doc.Scan.Status, tt.wantVulns, tt.wantStatus)
			}
			if doc.Scan.StartTime != "2026-01-01T00:00:00" {
				t.Errorf("start_time %s does not follow SOURCE_DATE_EPOCH", doc.Scan.StartTime)
			}
			ids := map[string]bool{}
			for _, v := range doc.Vulnerabilities {
				if ids[v.ID] {
					t.Errorf("duplicate id %s", v.ID)
				}
				ids[v.ID] = true
			}
			if tt.wantVulns > 0 {
				v := doc.Vulnerabilities[0]
				if v.Severity != "Critical" || v.Location.File != "k8s/web.yaml" || v.Location.StartLine != 12 || v.Identifiers[0].Value != "k8s/privileged-container" {
					t.Errorf("first vulnerability = %+v", v)
				}
				if strings.Contains(buf.String(), "writes a cache to /tmp") {
					t.Error("suppressed finding reported as a vulnerability")
				}
			}
			var again bytes.Buffer
			Write(&again, "gitlab-sast", tt.rep, Options{})
			if again.String() != buf.String() {
				t.Error("not deterministic")
			}
		})
	}
}
