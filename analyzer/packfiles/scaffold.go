// Package packfiles writes and names the files of a kscan Pulumi policy pack.
// It is apart from package analyzer so that kscan, which only scaffolds
// packs, does not link the Pulumi plugin API: that API pulls in a terminal-UI
// library whose init() queries the terminal (ESC]11;? and ESC[6n).
package packfiles

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Pack files read from a policy-pack directory.
const (
	PolicyFile   = "PulumiPolicy.yaml"
	SettingsFile = "kscan.yaml"
)

// SanitizeName turns a directory name into a pack name.
func SanitizeName(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9', r == '-', r == '_', r == '.':
			b.WriteRune(r)
		default:
			b.WriteRune('-')
		}
	}
	return b.String()
}

// scaffold files of `kscan policy new`, by name. {{name}} is the pack name.
var scaffold = []struct{ name, text string }{
	{PolicyFile, `# A Pulumi policy pack run by kscan (pulumi-analyzer-policy-kscan on PATH).
# Use it with: pulumi preview --policy-pack DIR, pulumi up --policy-pack DIR,
# or pulumi policy analyze --file state.json --policy-pack DIR.
runtime: kscan
name: {{name}}
version: 0.1.0
description: kscan rules for {{name}}
`},
	{SettingsFile, `# Which kscan rules this pack runs and how strictly. Rule ids: kscan rules.
rules: []            # id globs, e.g. ["k8s/*", "custom/*"]; empty = all
skipRules: []        # id globs to leave out
severities: []       # keep only these severities; empty = all
enforcement:
  # advisory (report), mandatory (block the update), remediate (fix when
  # kscan can: k8s/sa-token-automount, k8s/privilege-escalation) or disabled.
  default: advisory
  severities:
    critical: mandatory
    high: mandatory
  rules: {}          # e.g. k8s/image-tag-latest: mandatory
# Rule parameters (their schema is in each rule's METADATA custom.params).
params:
  custom/allowed-registries:
    registries: ["registry.example.com"]
# policyDirs: [../shared-rules]   # more .rego directories
timeout: 60s
`},
	{"allowed_registries.rego", `# METADATA
# title: Image comes from a registry that is not allowed
# description: |
#   Workloads may only run images from the registries the team trusts; an
#   image from anywhere else has not been scanned or signed by its pipeline.
# custom:
#   id: custom/allowed-registries
#   severity: medium
#   remediation: Push the image to an allowed registry and use it from there.
#   params:
#     registries:
#       type: array
#       items:
#         type: string
#       default: ["registry.example.com"]
package kscan.rules.custom.allowed_registries

import data.kscan.lib.k8s

# Parameters arrive under input.facts.params[<rule id>] in the Pulumi
# analyzer; kscan scan --policy DIR has none, so the default applies there.
registries := object.get(input, ["facts", "params", "custom/allowed-registries", "registries"], ["registry.example.com"])

deny contains finding if {
	some w in k8s.workloads
	some c in w.containers
	not allowed(c.image)
	finding := {
		"key": w.key,
		"message": sprintf("%s uses image %q, which is not from an allowed registry (%s)", [k8s.container_label(c), c.image, concat(", ", registries)]),
		"discriminator": c.name,
	}
}

allowed(image) if {
	some r in registries
	startswith(image, concat("", [r, "/"]))
}
`},
	{"allowed_registries_test.rego", `# Tests of allowed_registries.rego: kscan policy test DIR runs them (and
# the examples in testdata/allowed_registries/). kscan.graph builds the input
# a scan would build from these objects.
package kscan.rules.custom.allowed_registries_test

import data.kscan.rules.custom.allowed_registries as rule

deployment(image) := {
	"apiVersion": "apps/v1",
	"kind": "Deployment",
	"metadata": {"name": "web", "namespace": "shop"},
	"spec": {"template": {"spec": {"containers": [{"name": "web", "image": image}]}}},
}

test_other_registry_denied if {
	inp := kscan.graph([deployment("docker.io/library/nginx:1.27")])
	some f in rule.deny with input as inp
	f.key == "shop/Deployment/web"
}

test_allowed_registry_allowed if {
	inp := kscan.graph([deployment("registry.example.com/shop/web:1.4.2")])
	count(rule.deny) == 0 with input as inp
}

test_registry_name_prefix_denied if {
	# registry.example.com.evil.io is another registry.
	inp := kscan.graph([deployment("registry.example.com.evil.io/web:1")])
	count(rule.deny) == 1 with input as inp
}
`},
	{"testdata/allowed_registries/failure.docker-hub.yaml", `# An example the rule must flag (kscan policy test scans it).
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop
spec:
  template:
    spec:
      containers:
        - name: web
          image: docker.io/library/nginx:1.27
`},
	{"testdata/allowed_registries/success.allowed.yaml", `# An example the rule must accept (kscan policy test scans it).
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop
spec:
  template:
    spec:
      containers:
        - name: web
          image: registry.example.com/shop/web:1.4.2
`},
}

// WritePack writes a ready policy pack into dir (created if needed) and
// returns the files written. Existing files are kept unless force is set.
func WritePack(dir, name string, force bool) ([]string, error) {
	if name == "" {
		abs, err := filepath.Abs(dir)
		if err != nil {
			return nil, err
		}
		name = SanitizeName(filepath.Base(abs))
	}
	if strings.ContainsAny(name, " \t\n:/") {
		return nil, fmt.Errorf("pack name %q: use letters, digits, '-', '_' or '.'", name)
	}
	if !force {
		for _, f := range scaffold {
			p := filepath.Join(dir, filepath.FromSlash(f.name))
			if _, err := os.Stat(p); err == nil {
				return nil, fmt.Errorf("%s already exists (use --force to overwrite)", p)
			} else if !errors.Is(err, os.ErrNotExist) {
				return nil, err
			}
		}
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	var out []string
	for _, f := range scaffold {
		p := filepath.Join(dir, filepath.FromSlash(f.name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return out, err
		}
		if err := os.WriteFile(p, []byte(strings.ReplaceAll(f.text, "{{name}}", name)), 0o644); err != nil {
			return out, err
		}
		out = append(out, p)
	}
	return out, nil
}
