package main

import (
	"github.com/spf13/cobra"

	"github.com/kscan-io/kscan/report"
	"github.com/kscan-io/kscan/report/policyreport"
)

// outputFormats are the output formats: package report's and, added explicitly,
// the offline PolicyReport and OpenReports YAML that package policyreport
// owns.
func outputFormats() report.Set { return report.Builtin().With(policyreport.Formats()) }

// version is set at build time with -ldflags "-X main.version=…"; without
// it, main() takes the module version the toolchain recorded (go install @vX).
var version = "dev"

func newRootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:   "kscan",
		Short: "Policy and compliance scanner for Kubernetes, cloud IAM, registries and Pulumi",
		Long: `kscan gathers Kubernetes objects, cloud IAM, container registries and Pulumi
state into one graph and checks it with Rego rules, so one rule can follow a
path across them (Internet → Service → pod → ServiceAccount → IAM role).

Exit codes: 0 clean, 1 findings at or above --fail-on, 2 incomplete scan
(an input could not be read or parsed, or a rule failed).`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.PersistentFlags().String("config", "", "config file (default: <user config dir>/kscan/config.yaml, when present)")
	root.PersistentFlags().Bool("repo-config", false, "also read .kscan.yaml in the working directory, limited to its safe keys (see docs/security.md)")
	root.AddCommand(newScanCmd(), newRulesCmd(), newVersionCmd())
	root.AddCommand(newWhoCanCmd())
	root.AddCommand(newAccessCmd())
	root.AddCommand(newSnapshotCmd())
	root.AddCommand(newPolicyCmd())
	root.AddCommand(newQueryCmd())
	root.AddCommand(newGraphCmd())
	return root
}
