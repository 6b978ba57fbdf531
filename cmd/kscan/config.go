package main

import (
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"go.yaml.in/yaml/v3"
)

// applyConfig fills every flag the user did not set on the command line from
// KSCAN_<FLAG> (dashes as underscores) and then from the config file
// (.kscan.yaml, keys are flag names). Command line > environment > file.
func applyConfig(cmd *cobra.Command) error {
	path, _ := cmd.Flags().GetString("config")
	explicit := path != ""
	if !explicit {
		path = ".kscan.yaml"
	}
	values := map[string]any{}
	data, err := os.ReadFile(path)
	switch {
	case err == nil:
		if err := yaml.Unmarshal(data, &values); err != nil {
			return fmt.Errorf("config %s: %v", path, err)
		}
	case explicit || !os.IsNotExist(err):
		return fmt.Errorf("config %s: %v", path, err)
	}
	known := map[string]bool{}
	var firstErr error
	cmd.Flags().VisitAll(func(f *pflag.Flag) {
		known[f.Name] = true
		if f.Changed || f.Name == "config" || f.Name == "help" {
			return
		}
		env := "KSCAN_" + strings.ToUpper(strings.ReplaceAll(f.Name, "-", "_"))
		if v, ok := os.LookupEnv(env); ok {
			if err := setFlag(cmd.Flags(), f, v); err != nil && firstErr == nil {
				firstErr = fmt.Errorf("%s: %v", env, err)
			}
			return
		}
		if v, ok := values[f.Name]; ok {
			if err := setFlagValue(cmd.Flags(), f, v); err != nil && firstErr == nil {
				firstErr = fmt.Errorf("config %s: key %s: %v", path, f.Name, err)
			}
		}
	})
	if firstErr != nil {
		return firstErr
	}
	for k := range values {
		if !known[k] && cmd.Root().PersistentFlags().Lookup(k) == nil && !isOtherCommandKey(cmd, k) {
			return fmt.Errorf("config %s: unknown key %q (keys are flag names of kscan %s)", path, k, cmd.Name())
		}
	}
	return nil
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
