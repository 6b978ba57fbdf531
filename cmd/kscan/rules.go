package main

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/kscan-io/kscan/policies"
	"github.com/kscan-io/kscan/policies/frameworks"
)

func newRulesCmd() *cobra.Command {
	var policyDirs []string
	var format string
	var framework, docsDir string
	cmd := &cobra.Command{
		Use:   "rules",
		Short: "List the rules kscan runs",
		Example: `  kscan rules
  kscan rules --format json
  kscan rules --framework pss-restricted
  kscan rules --format markdown --docs-dir docs/rules
  kscan rules show k8s/privileged-container`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if _, err := applyConfig(cmd); err != nil {
				return err
			}
			e, err := policies.Load(cmd.Context(), policies.Options{PolicyDirs: policyDirs})
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			if framework != "" {
				return writeFrameworkCoverage(out, cmd.ErrOrStderr(), e, framework, format)
			}
			switch format {
			case "markdown":
				return writeRuleDocs(e, docsDir, cmd.ErrOrStderr())
			case "json":
				rules := make([]any, 0, len(e.Rules()))
				for _, r := range e.Rules() {
					rules = append(rules, r.Rule)
				}
				enc := json.NewEncoder(out)
				enc.SetIndent("", "  ")
				return enc.Encode(rules)
			case "table":
				tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "ID\tSEVERITY\tTITLE")
				for _, r := range e.Rules() {
					title := r.Title
					if r.Custom {
						title += " (custom)"
					}
					fmt.Fprintf(tw, "%s\t%s\t%s\n", r.ID, r.Severity, title)
				}
				return tw.Flush()
			}
			return fmt.Errorf("--format: unknown format %q (want table, json or markdown)", format)
		},
	}
	cmd.Flags().StringArrayVar(&policyDirs, "policy", nil, "also list rules from this directory of Rego files; repeatable")
	cmd.Flags().StringVarP(&format, "format", "f", "table", "table, json or markdown (one page per rule, written to --docs-dir)")
	cmd.Flags().StringVar(&framework, "framework", "", "list a framework's controls and the rules that cover them: "+strings.Join(frameworks.IDs(), ", "))
	cmd.Flags().StringVar(&docsDir, "docs-dir", DefaultRuleDocsDir, "directory for --format markdown")
	show := &cobra.Command{
		Use:   "show ID",
		Short: "Describe one rule: description, remediation, frameworks and an example",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			e, err := policies.Load(cmd.Context(), policies.Options{PolicyDirs: policyDirs})
			if err != nil {
				return err
			}
			r, ok := e.Rule(args[0])
			if !ok {
				return fmt.Errorf("unknown rule %q (see kscan rules)", args[0])
			}
			printRule(cmd, r)
			return nil
		},
	}
	show.Flags().StringArrayVar(&policyDirs, "policy", nil, "directory of extra Rego rules")
	cmd.AddCommand(show)
	return cmd
}

func printRule(cmd *cobra.Command, r *policies.Rule) {
	out := cmd.OutOrStdout()
	fmt.Fprintf(out, "%s  [%s]\n%s\n\n", r.ID, r.Severity, r.Title)
	fmt.Fprintf(out, "%s\n\n", r.Description)
	fmt.Fprintf(out, "Remediation:\n  %s\n", strings.ReplaceAll(r.Remediation, "\n", "\n  "))
	if r.Identity != "" {
		fmt.Fprintf(out, "\nIdentity (fingerprint): rule + %s\n", r.Identity)
	}
	if len(r.Frameworks) > 0 {
		fmt.Fprintf(out, "\nFrameworks:\n")
		names := make([]string, 0, len(r.Frameworks))
		for k := range r.Frameworks {
			names = append(names, k)
		}
		sort.Strings(names)
		for _, k := range names {
			fmt.Fprintf(out, "  %s: %s\n", k, strings.Join(r.Frameworks[k], ", "))
		}
	}
	var bad string
	names := make([]string, 0, len(r.Examples))
	for k := range r.Examples {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		if strings.HasPrefix(k, "failure") {
			bad = r.Examples[k]
			break
		}
	}
	if bad != "" {
		fmt.Fprintf(out, "\nExample that fails:\n")
		for _, l := range strings.Split(strings.TrimRight(bad, "\n"), "\n") {
			fmt.Fprintf(out, "  %s\n", l)
		}
	}
	fmt.Fprintf(out, "\nMore: %s\n", r.HelpURI)
}
