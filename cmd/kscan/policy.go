package main

import (
	"fmt"

	"github.com/open-policy-agent/opa/v1/tester"
	"github.com/spf13/cobra"

	"github.com/kscan-io/kscan/analyzer/packfiles"
	"github.com/kscan-io/kscan/ruletest"
)

// newPolicyCmd groups the commands for custom rules and Pulumi policy packs.
func newPolicyCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "policy",
		Short: "Custom rules: test them, or scaffold a Pulumi policy pack",
	}
	cmd.AddCommand(newPolicyNewCmd(), newPolicyTestCmd())
	return cmd
}

func newPolicyTestCmd() *cobra.Command {
	var opts ruletest.Options
	var verbose bool
	cmd := &cobra.Command{
		Use:   "test DIR...",
		Short: "Run the tests of Rego rules (*_test.rego and example fixtures) with kscan's library",
		Long: `Run every *_test.rego under the given directories (or files), compiled
with kscan's helper library (data.kscan.lib.*) and its built-in kscan.graph,
under the same capabilities as rules in a scan (no network built-ins) and a
time limit per test. The rules are loaded as kscan scan --policy loads them,
so METADATA errors are reported too. Each rule's example fixtures,
testdata/<rule>/failure.*.yaml and success.*.yaml beside the rule file, are
scanned as well: a failure example must give a finding of the rule, a
success example none.

Exit codes: 0 every test passed, 1 a test failed, 2 a file did not parse or
compile, a test errored, or no test was found (errors name file and line).
See docs/writing-rules.md.`,
		Example: `  kscan policy test my-rules/
  kscan policy test --verbose my-rules/ shared-rules/
  kscan policy test --run 'allowed_registries' guardrails/`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Paths = args
			results, err := ruletest.Run(cmd.Context(), opts)
			if err != nil {
				return err
			}
			ch := make(chan *tester.Result, len(results))
			failed, errored := false, false
			for _, r := range results {
				failed = failed || r.Fail
				errored = errored || r.Error != nil
				ch <- r
			}
			close(ch)
			if err := (tester.PrettyReporter{Output: cmd.OutOrStdout(), Verbose: verbose, FailureLine: true}).Report(ch); err != nil {
				return err
			}
			switch {
			case errored:
				return exitError{2}
			case failed:
				return exitError{1}
			}
			return nil
		},
	}
	cmd.Flags().BoolVarP(&verbose, "verbose", "v", false, "print every test and example, not only failures")
	cmd.Flags().StringVarP(&opts.Run, "run", "r", "", "run only tests whose full name (data.<package>.<test>) matches this regular expression")
	cmd.Flags().DurationVar(&opts.Timeout, "timeout", ruletest.DefaultTimeout, "time limit of each test")
	return cmd
}

func newPolicyNewCmd() *cobra.Command {
	var name string
	var force bool
	cmd := &cobra.Command{
		Use:   "new DIR",
		Short: "Write a ready Pulumi policy pack (PulumiPolicy.yaml, kscan.yaml, an example rule)",
		Long: `Write a Pulumi policy pack that runs kscan's rules at pulumi preview and
pulumi up: PulumiPolicy.yaml (runtime: kscan), kscan.yaml (rule selection,
enforcement levels, parameters) and an example custom .rego rule.

Then: pulumi preview --policy-pack DIR (pulumi-analyzer-policy-kscan must be
on PATH or installed with pulumi plugin install; see docs/pulumi-analyzer.md).`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			files, err := packfiles.WritePack(args[0], name, force)
			if err != nil {
				return err
			}
			for _, f := range files {
				fmt.Fprintln(cmd.OutOrStdout(), "wrote", f)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&name, "name", "", "pack name (default: the directory's name)")
	cmd.Flags().BoolVar(&force, "force", false, "overwrite existing files")
	return cmd
}
