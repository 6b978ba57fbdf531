package main

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"go.yaml.in/yaml/v3"

	"github.com/kscan-io/kscan/finding"
	"github.com/kscan-io/kscan/internal/safefile"
)

// Configuration trust (docs/security.md). kscan runs in CI on pull requests
// from anyone, in the checkout under scan: a file found there is written by
// whoever opened the pull request. So settings come, in order of
// precedence, from
//
//   - the command line and KSCAN_<FLAG> variables (the user),
//   - --config, else the user's config file (<user config dir>/kscan/config.yaml),
//   - only with --repo-config: .kscan.yaml in the working directory, limited
//     to repoSafeKeys; every key it set or tried to set is reported.
const (
	// RepoConfigFile is the repository's config, read only with --repo-config.
	RepoConfigFile = ".kscan.yaml"
	// maxConfigSize bounds a config file: it is written by people.
	maxConfigSize = 1 << 20
)

// userConfigPath is <user config dir>/kscan/config.yaml ($XDG_CONFIG_HOME or
// ~/.config on Linux), or "" when there is no such directory.
func userConfigPath() string {
	dir, err := os.UserConfigDir()
	if err != nil {
		return ""
	}
	return filepath.Join(dir, "kscan", "config.yaml")
}

// repoCheck decides whether a repository config may set a flag to v: ""
// when it may, else why not.
type repoCheck func(cmd *cobra.Command, f *pflag.Flag, v any) string

// repoSafeKeys is the documented subset a repository config may set: output
// formats, Helm values and rules inside the working directory, stricter
// gates. Everything else — kubeconfig, contexts, credentials, registry and
// cloud access, baselines, skipped rules, weaker gates, limits — is the
// user's to choose.
var repoSafeKeys = map[string]repoCheck{
	"format":            anyValue,
	"no-color":          anyValue,
	"namespace":         anyValue,
	"helm-namespace":    anyValue,
	"helm-release":      anyValue,
	"helm-set":          anyValue,
	"no-inline-ignores": onlyTrue,
	"helm-values":       insideWorkDir,
	"policy":            insideWorkDir,
	"ignore-file":       insideWorkDir,
	"output":            insideWorkDir,
	"fail-on":           onlyStricter,
}

func anyValue(*cobra.Command, *pflag.Flag, any) string { return "" }

func onlyTrue(_ *cobra.Command, _ *pflag.Flag, v any) string {
	if fmt.Sprint(v) != "true" {
		return "a repository config may only switch it on"
	}
	return ""
}

func onlyStricter(_ *cobra.Command, f *pflag.Flag, v any) string {
	rank := func(s string) int {
		s, err := finding.ParseSeverity(s)
		if err != nil {
			return -2
		}
		if s == "none" {
			return 5
		}
		return finding.SeverityRank(s)
	}
	nv := rank(fmt.Sprint(v))
	if nv == -2 {
		return "" // let the flag's own validation report it
	}
	if nv > rank(f.Value.String()) {
		return fmt.Sprintf("a repository config may not lower the gate below %s", f.Value.String())
	}
	return ""
}

func insideWorkDir(_ *cobra.Command, _ *pflag.Flag, v any) string {
	wd, err := os.Getwd()
	if err != nil {
		return "the working directory is unknown"
	}
	if real, err := filepath.EvalSymlinks(wd); err == nil {
		wd = real
	}
	vals := []any{v}
	if l, ok := v.([]any); ok {
		vals = l
	}
	for _, e := range vals {
		p := fmt.Sprint(e)
		if !within(wd, p) {
			return fmt.Sprintf("%s is outside the working directory", p)
		}
	}
	return ""
}

// within reports whether p (relative to wd, or absolute) stays inside wd
// once symbolic links of its existing part are resolved.
func within(wd, p string) bool {
	if !filepath.IsAbs(p) {
		p = filepath.Join(wd, p)
	}
	p = filepath.Clean(p)
	// Resolve the longest existing prefix: a file that does not exist yet
	// (an output) is judged by its directory.
	rest := ""
	for cur := p; ; {
		if real, err := filepath.EvalSymlinks(cur); err == nil {
			p = filepath.Join(real, rest)
			break
		}
		parent := filepath.Dir(cur)
		if parent == cur {
			break
		}
		rest = filepath.Join(filepath.Base(cur), rest)
		cur = parent
	}
	rel, err := filepath.Rel(wd, p)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) && !filepath.IsAbs(rel)
}

// configFile is one config file's keys.
type configFile struct {
	path   string
	repo   bool
	values map[string]any
}

func readConfig(path string, repo bool) (*configFile, error) {
	data, err := safefile.ReadFile(path, maxConfigSize)
	if err != nil {
		return nil, fmt.Errorf("config %s: %v", path, err)
	}
	values := map[string]any{}
	if err := parseConfig(data, &values); err != nil {
		return nil, fmt.Errorf("config %s: %v", path, err)
	}
	return &configFile{path: path, repo: repo, values: values}, nil
}

// parseConfig decodes a config document; its size is bounded by the caller
// and aliases are rejected (a config has no use for them, and they are the
// way a small file becomes a large value).
func parseConfig(data []byte, values *map[string]any) error {
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return err
	}
	if hasAlias(&root) {
		return fmt.Errorf("YAML aliases are not allowed in a config file")
	}
	return root.Decode(values)
}

func hasAlias(n *yaml.Node) bool {
	if n.Kind == yaml.AliasNode {
		return true
	}
	for _, c := range n.Content {
		if hasAlias(c) {
			return true
		}
	}
	return false
}

// applyConfig fills every flag the user did not set on the command line
// from KSCAN_<FLAG> (dashes as underscores), then from the user's config
// file, then — with --repo-config — from the repository's .kscan.yaml,
// limited to repoSafeKeys. It returns what the repository's config set and
// what it was refused, for the report; refusals are also printed.
func applyConfig(cmd *cobra.Command) ([]finding.ConfigSetting, error) {
	var files []*configFile
	path, _ := cmd.Flags().GetString("config")
	switch {
	case path != "":
		c, err := readConfig(path, false)
		if err != nil {
			return nil, err
		}
		files = append(files, c)
	default:
		if up := userConfigPath(); up != "" {
			if _, err := os.Lstat(up); err == nil {
				c, err := readConfig(up, false)
				if err != nil {
					return nil, err
				}
				files = append(files, c)
			}
		}
	}
	repoWanted, err := repoConfigWanted(cmd, files)
	if err != nil {
		return nil, err
	}
	var settings []finding.ConfigSetting
	if _, err := os.Lstat(RepoConfigFile); err == nil {
		if repoWanted {
			c, err := readConfig(RepoConfigFile, true)
			if err != nil {
				return nil, err
			}
			files = append(files, c)
		} else {
			fmt.Fprintf(cmd.ErrOrStderr(), "warning: %s in the working directory is not read: a repository's config is not trusted (pass --repo-config to apply its safe keys; see docs/security.md)\n", RepoConfigFile)
			settings = append(settings, finding.ConfigSetting{File: RepoConfigFile, Reason: "not read: pass --repo-config to apply it"})
		}
	}

	known := map[string]bool{}
	var firstErr error
	cmd.Flags().VisitAll(func(f *pflag.Flag) {
		known[f.Name] = true
		if f.Changed || f.Name == "config" || f.Name == "help" || f.Name == "repo-config" {
			return
		}
		env := "KSCAN_" + strings.ToUpper(strings.ReplaceAll(f.Name, "-", "_"))
		if v, ok := os.LookupEnv(env); ok {
			if err := setFlag(cmd.Flags(), f, v); err != nil && firstErr == nil {
				firstErr = fmt.Errorf("%s: %v", env, err)
			}
			return
		}
		for _, c := range files {
			v, ok := c.values[f.Name]
			if !ok {
				continue
			}
			if c.repo {
				s := finding.ConfigSetting{File: c.path, Key: f.Name, Value: configValue(v), Applied: true}
				check, safe := repoSafeKeys[f.Name]
				switch {
				case !safe:
					s.Applied, s.Reason = false, "not allowed in a repository config"
				default:
					if why := check(cmd, f, v); why != "" {
						s.Applied, s.Reason = false, why
					}
				}
				settings = append(settings, s)
				if !s.Applied {
					fmt.Fprintf(cmd.ErrOrStderr(), "warning: %s: %s ignored: %s\n", c.path, f.Name, s.Reason)
					return
				}
			}
			if err := setFlagValue(cmd.Flags(), f, v); err != nil && firstErr == nil {
				firstErr = fmt.Errorf("config %s: key %s: %v", c.path, f.Name, err)
			}
			return
		}
	})
	if firstErr != nil {
		return nil, firstErr
	}
	for _, c := range files {
		keys := make([]string, 0, len(c.values))
		for k := range c.values {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			if !known[k] && cmd.Root().PersistentFlags().Lookup(k) == nil && !isOtherCommandKey(cmd, k) {
				return nil, fmt.Errorf("config %s: unknown key %q (keys are flag names of kscan %s)", c.path, k, cmd.Name())
			}
			if c.repo && (k == "config" || k == "repo-config") {
				settings = append(settings, finding.ConfigSetting{File: c.path, Key: k, Value: configValue(c.values[k]), Reason: "not allowed in a repository config"})
			}
		}
	}
	return settings, nil
}

// repoConfigWanted: --repo-config on the command line, KSCAN_REPO_CONFIG,
// or repo-config in the user's own config file.
func repoConfigWanted(cmd *cobra.Command, files []*configFile) (bool, error) {
	f := cmd.Flags().Lookup("repo-config")
	if f == nil {
		return false, nil
	}
	if !f.Changed {
		if v, ok := os.LookupEnv("KSCAN_REPO_CONFIG"); ok {
			if err := cmd.Flags().Set("repo-config", v); err != nil {
				return false, fmt.Errorf("KSCAN_REPO_CONFIG: %v", err)
			}
		} else {
			for _, c := range files {
				if v, ok := c.values["repo-config"]; ok {
					if err := cmd.Flags().Set("repo-config", fmt.Sprint(v)); err != nil {
						return false, fmt.Errorf("config %s: key repo-config: %v", c.path, err)
					}
				}
			}
		}
	}
	return cmd.Flags().GetBool("repo-config")
}

func configValue(v any) string {
	if l, ok := v.([]any); ok {
		parts := make([]string, len(l))
		for i, e := range l {
			parts[i] = fmt.Sprint(e)
		}
		return strings.Join(parts, ",")
	}
	return fmt.Sprint(v)
}

// isOtherCommandKey lets one config file serve several commands.
func isOtherCommandKey(cmd *cobra.Command, key string) bool {
	for _, c := range cmd.Root().Commands() {
		if c.Flags().Lookup(key) != nil {
			return true
		}
	}
	return false
}

func setFlag(fs *pflag.FlagSet, f *pflag.Flag, v string) error {
	if strings.HasSuffix(f.Value.Type(), "Slice") || strings.HasSuffix(f.Value.Type(), "Array") {
		for _, part := range strings.Split(v, ",") {
			if part = strings.TrimSpace(part); part != "" {
				if err := fs.Set(f.Name, part); err != nil {
					return err
				}
			}
		}
		return nil
	}
	return fs.Set(f.Name, v)
}

func setFlagValue(fs *pflag.FlagSet, f *pflag.Flag, v any) error {
	switch t := v.(type) {
	case []any:
		for _, e := range t {
			if err := fs.Set(f.Name, fmt.Sprint(e)); err != nil {
				return err
			}
		}
		return nil
	case nil:
		return nil
	default:
		return setFlag(fs, f, fmt.Sprint(t))
	}
}
