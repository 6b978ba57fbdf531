package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/kscan-io/kscan/analyzer/packfiles"
)

// newPolicyCmd groups the Pulumi policy-pack commands.
func newPolicyCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "policy",
		Short: "Pulumi policy packs run by kscan's rules",
	}
	cmd.AddCommand(newPolicyNewCmd())
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
