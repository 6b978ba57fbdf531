package report

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/kscan-io/kscan/finding"
)

// The streaming writers must give the bytes that encoding the whole
// document at once gives. These oracles are the whole-document encodings
// (for SARIF: the library's log with every default, pruned).

func wholeJSON(t *testing.T, r *finding.Report) []byte {
	t.Helper()
	counts, suppressed := r.Counts()
	total := 0
	for _, c := range counts {
		total += c
	}
	out := jsonReport{
		SchemaVersion: JSONSchemaVersion, Tool: jsonTool{Name: r.ToolName, Version: r.ToolVersion},
		Complete: !r.Incomplete(), Summary: jsonSummary{Resources: r.Resources, Findings: total, Suppressed: suppressed, BySeverity: counts},
		Findings: nonNil(r.Findings), Absent: r.Absent, Errors: []finding.Notification{}, Warnings: []finding.Notification{},
	}
	for _, n := range r.Notifications {
		if n.Level == "error" {
			out.Errors = append(out.Errors, n)
		} else {
			out.Warnings = append(out.Warnings, n)
		}
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(out); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// wholeSARIF is the streamed log parsed and encoded again by encoding/json
// (sorted keys, its escaping and indentation): the hand-written results
// must be exactly what encoding/json makes of them, and the log must parse
// as the library's SARIF types.
func wholeSARIF(t *testing.T, r *finding.Report) []byte {
	t.Helper()
	var streamed bytes.Buffer
	if err := SARIF(&streamed, r, Options{}); err != nil {
		t.Fatal(err)
	}
	var doc any
	if err := json.Unmarshal(streamed.Bytes(), &doc); err != nil {
		t.Fatalf("streamed SARIF does not parse: %v", err)
	}
	if _, err := BuildSARIF(r, Options{}); err != nil {
		t.Fatalf("streamed SARIF does not parse as the library's types: %v", err)
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(doc); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// awkward strings for messages, resources and paths.
var awkward = []string{"", "plain", `quote " and \ backslash`, "tab\tnew\nline\rcr", "\x00\x01\x1f\x7f", "<html> & 'x'",
	"é ünï 日本", "line\u2028sep\u2029", "bad \xff\xfe utf8", "a/b:c", "emoji 😀", "\b\f"}

func randomReport(rng *rand.Rand, n int) *finding.Report {
	r := sampleReport()
	pick := func() string { return awkward[rng.IntN(len(awkward))] }
	locs := []finding.Location{
		{Kind: "file", File: "k8s/web.yaml", Line: 12},
		{Kind: "file", File: "only-file.yaml"},
		{Kind: "cluster", Cluster: "prod", Path: "/api/v1/namespaces/x/pods/y"},
		{Kind: "pulumi-state", URN: "urn:pulumi:prod::x::y"},
		{Kind: "derived"},
	}
	ids := []string{"k8s/privileged-container", "iam/admin-policy", "k8s/writable-root-fs", "not/in-rules"}
	sevs := []string{"critical", "high", "medium", "low", "info"}
	gen := func(i int) finding.Finding {
		f := finding.Finding{
			RuleID: ids[rng.IntN(len(ids))], Severity: sevs[rng.IntN(len(sevs))], Message: pick() + fmt.Sprint(i),
			Resource: pick() + "/Kind/" + pick(), ResourceType: pick(), Location: locs[rng.IntN(len(locs))], Fingerprint: fmt.Sprintf("%x", i),
		}
		for k := rng.IntN(4); k > 0; k-- {
			f.Related = append(f.Related, pick())
		}
		for k := rng.IntN(4); k > 0 && rng.IntN(2) == 0; k-- {
			f.Path = append(f.Path, finding.PathStep{Resource: pick(), ResourceType: pick(), Location: locs[rng.IntN(len(locs))], Relation: pick()})
		}
		if rng.IntN(5) == 0 {
			f.Suppression = &finding.Suppression{Kind: []string{"inSource", "external"}[rng.IntN(2)], Justification: pick()}
		}
		f.BaselineState = []string{"", "", "new", "unchanged", "updated"}[rng.IntN(5)]
		return f
	}
	r.Findings = nil
	for i := 0; i < n; i++ {
		r.Findings = append(r.Findings, gen(i))
	}
	r.Absent = nil
	for i := 0; i < n/10; i++ {
		r.Absent = append(r.Absent, gen(n+i))
	}
	return r
}

func TestStreamingEqualsWholeDocument(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	cases := map[string]*finding.Report{"sample": sampleReport(), "empty": {ToolName: "kscan"}}
	for _, n := range []int{1, 2, blockSize - 1, blockSize, 2*blockSize + 7} {
		cases[fmt.Sprintf("%d findings", n)] = randomReport(rng, n)
	}
	for name, r := range cases {
		t.Run(name, func(t *testing.T) {
			for format, oracle := range map[string]func(*testing.T, *finding.Report) []byte{"json": wholeJSON, "sarif": wholeSARIF} {
				var got bytes.Buffer
				if err := Write(&got, format, r, Options{}); err != nil {
					t.Fatal(err)
				}
				want := oracle(t, r)
				if !bytes.Equal(got.Bytes(), want) {
					i := 0
					for i < min(got.Len(), len(want)) && got.Bytes()[i] == want[i] {
						i++
					}
					lo := max(0, i-200)
					t.Fatalf("%s differs at byte %d:\n got: %q\nwant: %q", format, i, got.Bytes()[lo:min(got.Len(), i+200)], want[lo:min(len(want), i+200)])
				}
			}
		})
	}
}
