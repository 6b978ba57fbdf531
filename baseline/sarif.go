package baseline

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/kscan-io/kscan/finding"
	"github.com/kscan-io/kscan/report"
)

// SARIFFormat reads a SARIF 2.1.0 log written by kscan (or by anything that
// sets kscan's partialFingerprints).
type SARIFFormat struct{}

// Name implements Format.
func (SARIFFormat) Name() string { return "sarif" }

// Detect looks for a JSON object with a "runs" array and a SARIF version or
// schema, without decoding the whole file.
func (SARIFFormat) Detect(data []byte) bool {
	head := bytes.TrimLeft(data, " \t\r\n\ufeff")
	if len(head) == 0 || head[0] != '{' {
		return false
	}
	if len(head) > 4096 {
		head = head[:4096]
	}
	s := string(head)
	return strings.Contains(s, `"runs"`) && (strings.Contains(s, `"2.1.0"`) || strings.Contains(strings.ToLower(s), "sarif"))
}

type sarifLog struct {
	Version string `json:"version"`
	Runs    []struct {
		Results []struct {
			RuleID              string                `json:"ruleId"`
			Level               string                `json:"level"`
			Message             struct{ Text string } `json:"message"`
			PartialFingerprints map[string]string     `json:"partialFingerprints"`
			BaselineState       string                `json:"baselineState"`
			Properties          map[string]any        `json:"properties"`
			Locations           []struct {
				PhysicalLocation *struct {
					ArtifactLocation struct {
						URI string `json:"uri"`
					} `json:"artifactLocation"`
					Region *struct {
						StartLine int `json:"startLine"`
					} `json:"region"`
				} `json:"physicalLocation"`
				LogicalLocations []struct {
					FullyQualifiedName string `json:"fullyQualifiedName"`
				} `json:"logicalLocations"`
			} `json:"locations"`
		} `json:"results"`
	} `json:"runs"`
}

// Parse implements Format. Results already marked absent were gone in that
// run and are not part of its baseline.
func (SARIFFormat) Parse(_ context.Context, path string, data []byte) (*Baseline, error) {
	var log sarifLog
	if err := json.Unmarshal(data, &log); err != nil {
		return nil, fmt.Errorf("invalid JSON: %v", err)
	}
	if log.Version != "" && log.Version != "2.1.0" {
		return nil, fmt.Errorf("SARIF version %q is not supported (want 2.1.0)", log.Version)
	}
	b := &Baseline{}
	missing := 0
	for _, run := range log.Runs {
		for _, res := range run.Results {
			if res.BaselineState == StateAbsent {
				continue
			}
			fp := res.PartialFingerprints[report.FingerprintKey]
			if fp == "" {
				missing++
				continue
			}
			f := finding.Finding{RuleID: res.RuleID, Message: res.Message.Text, Fingerprint: fp}
			if s, ok := res.Properties["severity"].(string); ok {
				f.Severity = s
			}
			if t, ok := res.Properties["resourceType"].(string); ok {
				f.ResourceType = t
			}
			if len(res.Locations) > 0 {
				l := res.Locations[0]
				if pl := l.PhysicalLocation; pl != nil {
					uri := pl.ArtifactLocation.URI
					if rest, ok := strings.CutPrefix(uri, "k8s://"); ok {
						f.Location = finding.Location{Kind: "cluster", Path: rest}
					} else {
						f.Location = finding.Location{Kind: "file", File: uri}
					}
					if pl.Region != nil {
						f.Location.Line = pl.Region.StartLine
					}
				}
				if len(l.LogicalLocations) > 0 {
					f.Resource = l.LogicalLocations[0].FullyQualifiedName
				}
			}
			b.Findings = append(b.Findings, f)
		}
	}
	if missing > 0 && len(b.Findings) == 0 {
		return nil, fmt.Errorf("%d result(s) but none has partialFingerprints %q: not a kscan SARIF log", missing, report.FingerprintKey)
	}
	return b, nil
}
