package analyzer

import (
	"bytes"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/kscan-io/kscan/analyzer/packfiles"
	"github.com/kscan-io/kscan/finding"
)

// Pack files read from a policy-pack directory.
const (
	PolicyFile   = packfiles.PolicyFile
	SettingsFile = packfiles.SettingsFile
)

// WritePack writes a ready policy pack into dir; see packfiles.WritePack.
func WritePack(dir, name string, force bool) ([]string, error) {
	return packfiles.WritePack(dir, name, force)
}

// DefaultCallTimeout bounds every analyzer call (one Analyze, one AnalyzeStack).
const DefaultCallTimeout = 60 * time.Second

// Pack is a policy pack's settings: its identity from PulumiPolicy.yaml and
// the rule selection and enforcement from kscan.yaml.
type Pack struct {
	// Dir holds the pack's files and its custom .rego rules ("" when the
	// plugin runs without a pack directory).
	Dir         string
	Name        string
	Version     string
	Description string
	Settings    Settings
}

// Settings is kscan.yaml.
type Settings struct {
	// Rules and SkipRules select rules by id glob ("k8s/*"); empty selects all.
	Rules     []string `yaml:"rules"`
	SkipRules []string `yaml:"skipRules"`
	// Severities keeps only rules of these severities.
	Severities []string `yaml:"severities"`
	// Enforcement gives each rule its default level.
	Enforcement Enforcement `yaml:"enforcement"`
	// Params are rule parameters by rule id (defaults for Configure).
	Params map[string]map[string]any `yaml:"params"`
	// PolicyDirs are more directories of .rego rules, relative to the pack.
	PolicyDirs []string `yaml:"policyDirs"`
	// Timeout bounds one call ("30s").
	Timeout string `yaml:"timeout"`
}

// Enforcement picks a level by rule id, else by severity, else Default.
type Enforcement struct {
	Default    string            `yaml:"default"`
	Severities map[string]string `yaml:"severities"`
	Rules      map[string]string `yaml:"rules"`
}

var levels = map[string]bool{"advisory": true, "mandatory": true, "remediate": true, "disabled": true}

// LevelFor returns the configured default enforcement level of a rule.
func (e Enforcement) LevelFor(id, severity string, aliases ...string) string {
	if l, ok := e.Rules[id]; ok {
		return l
	}
	for _, a := range aliases { // a pack written before the rule was renamed
		if l, ok := e.Rules[a]; ok {
			return l
		}
	}
	if l, ok := e.Severities[severity]; ok {
		return l
	}
	if e.Default != "" {
		return e.Default
	}
	// Without settings, only the worst findings block a deployment.
	if finding.AtLeast(severity, "high") {
		return "mandatory"
	}
	return "advisory"
}

// CallTimeout is the configured per-call time limit.
func (s Settings) CallTimeout() time.Duration {
	if d, err := time.ParseDuration(s.Timeout); err == nil && d > 0 {
		return d
	}
	return DefaultCallTimeout
}

type policyYAML struct {
	Name        string `yaml:"name"`
	Version     string `yaml:"version"`
	Description string `yaml:"description"`
}

// LoadPack reads PulumiPolicy.yaml and kscan.yaml from dir (either may be
// missing). settingsPath, when set, names kscan.yaml explicitly (relative to
// dir). Errors name the file and, for YAML errors, the line.
func LoadPack(dir, settingsPath string) (*Pack, error) {
	p := &Pack{Dir: dir, Name: "kscan", Version: "0.0.0"}
	if dir == "" {
		return p, nil
	}
	if abs, err := filepath.Abs(dir); err == nil {
		p.Dir = abs
		if b := filepath.Base(abs); b != "" && b != "/" && b != "." {
			p.Name = packfiles.SanitizeName(b)
		}
	}
	var py policyYAML
	if found, err := readYAML(filepath.Join(p.Dir, PolicyFile), &py, false); err != nil {
		return nil, err
	} else if found {
		if py.Name != "" {
			p.Name = py.Name
		}
		if py.Version != "" {
			p.Version = py.Version
		}
		p.Description = py.Description
	}
	sp := filepath.Join(p.Dir, SettingsFile)
	if settingsPath != "" {
		sp = settingsPath
		if !filepath.IsAbs(sp) {
			sp = filepath.Join(p.Dir, sp)
		}
	}
	found, err := readYAML(sp, &p.Settings, true)
	if err != nil {
		return nil, err
	}
	if !found && settingsPath != "" {
		return nil, fmt.Errorf("%s: no such file", sp)
	}
	if err := p.Settings.validate(sp); err != nil {
		return nil, err
	}
	return p, nil
}

// FindPackDir returns the first of dirs holding PulumiPolicy.yaml or
// kscan.yaml, or "".
func FindPackDir(dirs ...string) string {
	for _, d := range dirs {
		if d == "" {
			continue
		}
		for _, f := range []string{PolicyFile, SettingsFile} {
			if _, err := os.Stat(filepath.Join(d, f)); err == nil {
				return d
			}
		}
	}
	return ""
}

func (s Settings) validate(file string) error {
	var errs []string
	check := func(where, l string) {
		if !levels[l] {
			errs = append(errs, fmt.Sprintf("%s: enforcement level %q is not advisory, mandatory, remediate or disabled", where, l))
		}
	}
	if s.Enforcement.Default != "" {
		check("enforcement.default", s.Enforcement.Default)
	}
	for _, k := range slices.Sorted(maps.Keys(s.Enforcement.Severities)) {
		if finding.SeverityRank(k) < 0 {
			errs = append(errs, fmt.Sprintf("enforcement.severities: %q is not a severity", k))
		}
		check("enforcement.severities."+k, s.Enforcement.Severities[k])
	}
	for _, k := range slices.Sorted(maps.Keys(s.Enforcement.Rules)) {
		check("enforcement.rules."+k, s.Enforcement.Rules[k])
	}
	for _, sev := range s.Severities {
		if _, err := finding.ParseSeverity(sev); err != nil {
			errs = append(errs, "severities: "+err.Error())
		}
	}
	if s.Timeout != "" {
		if d, err := time.ParseDuration(s.Timeout); err != nil || d <= 0 {
			errs = append(errs, fmt.Sprintf("timeout: %q is not a positive duration", s.Timeout))
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("%s: %s", file, strings.Join(errs, "; "))
	}
	return nil
}

// readYAML decodes a YAML file (strict: unknown keys are errors, so a typo
// does not silently switch a gate off); a missing file is not an error.
func readYAML(path string, v any, strict bool) (bool, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("%s: %w", path, err)
	}
	if len(strings.TrimSpace(string(data))) == 0 {
		return true, nil
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(strict)
	if err := dec.Decode(v); err != nil {
		// yaml.v3 errors say "yaml: line N: …"; prefix the file.
		return false, fmt.Errorf("%s: %s", path, strings.TrimPrefix(err.Error(), "yaml: "))
	}
	return true, nil
}
