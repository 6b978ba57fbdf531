package main

import (
	"strings"

	"github.com/spf13/cobra"
)

// defaultIgnore are the file and folder names OPA must not load as data
// from a rule directory: kscan's rule fixtures live in testdata/<rule>/ (the
// convention kscan policy test and the rule docs use), and OPA would merge
// every JSON and YAML fixture into one data document and fail on the first
// two that disagree. kscan's own policies/frameworks holds the compliance
// catalogues its Go code reads (YAML that is not a data document either).
var defaultIgnore = []string{"testdata", "frameworks"}

// ignoreByDefault makes patterns the starting value of every subcommand's
// --ignore flag; patterns given on the command line are added to them.
func ignoreByDefault(cmds []*cobra.Command, patterns []string) {
	for _, c := range cmds {
		f := c.Flags().Lookup("ignore")
		if f == nil || f.Value.Type() != "stringSlice" {
			continue
		}
		// pflag's string slices replace their default on the first Set and
		// append afterwards, so this value stays when --ignore is given.
		if err := f.Value.Set(strings.Join(patterns, ",")); err == nil {
			f.DefValue = "[" + strings.Join(patterns, ",") + "]"
		}
	}
}
