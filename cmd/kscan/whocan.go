package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/kscan-io/kscan/graph"
	"github.com/kscan-io/kscan/rbac"
)

// rbacModels collects the inputs and builds one RBAC model per cluster
// ("" for files), in name order.
func rbacModels(ctx context.Context, cmd *cobra.Command, f *scanFlags, paths []string) ([]*rbac.Model, bool, error) {
	g, err := collectGraph(ctx, f, paths, cmd.InOrStdin())
	if err != nil {
		return nil, false, err
	}
	incomplete := reportInputErrors(cmd.ErrOrStderr(), g, f.quiet)
	ms := rbac.Models(g)
	names := make([]string, 0, len(ms))
	for c := range ms {
		names = append(names, c)
	}
	sort.Strings(names)
	out := make([]*rbac.Model, 0, len(names))
	for _, c := range names {
		m := ms[c]
		if !f.quiet {
			for _, p := range m.Problems {
				fmt.Fprintf(cmd.ErrOrStderr(), "warning: %s%s\n", clusterPrefix(c), p)
			}
		}
		out = append(out, m)
	}
	return out, incomplete, nil
}

func clusterPrefix(c string) string {
	if c == "" {
		return ""
	}
	return c + ": "
}

func locationOf(n *graph.Node) string {
	if n == nil {
		return "built-in"
	}
	return n.Source.String()
}

type whoCanRow struct {
	Cluster   string       `json:"cluster,omitempty"`
	Subject   rbac.Subject `json:"subject"`
	Binding   string       `json:"binding"`
	Role      string       `json:"role"`
	From      string       `json:"aggregatedFrom,omitempty"`
	Namespace string       `json:"namespace,omitempty"`
	Location  string       `json:"location"`
}

func newWhoCanCmd() *cobra.Command {
	f := &scanFlags{}
	var ns, name, format string
	var clusterScope bool
	cmd := &cobra.Command{
		Use:   "who-can VERB RESOURCE [PATH|-]... [-n NAMESPACE]",
		Short: "List the subjects allowed to do something, with the binding and role that allow it",
		Long: `List the Users, Groups and ServiceAccounts that may perform VERB on
RESOURCE, each with the binding and role granting it, computed with the API
server's RBAC semantics (wildcards, aggregated ClusterRoles, ClusterRoles
bound in a namespace, built-in default roles). Inputs are read as kscan scan
reads them: manifests, a live cluster (--kubeconfig), Pulumi state, or a
snapshot.

RESOURCE is resource[.group][/subresource] (pods, pods/exec,
deployments.apps/scale; built-in resources need no group), or a non-resource
URL starting with "/". Without -n, RoleBindings of every namespace count in
their namespace; with -n only that namespace (and ClusterRoleBindings) do.
A Group stands for all its members (system:authenticated: everyone who can
log in).`,
		Example: `  kscan who-can create pods/exec -n shop k8s/
  kscan who-can get secrets --kubeconfig ~/.kube/config
  kscan who-can escalate clusterroles.rbac.authorization.k8s.io --format json k8s/
  kscan who-can get /metrics k8s/`,
		Args: cobra.MinimumNArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			if _, err := applyConfig(cmd); err != nil {
				return err
			}
			if format != "table" && format != "json" {
				return fmt.Errorf("--format: want table or json")
			}
			verb := args[0]
			group, resource, sub, path := rbac.ParseResource(args[1])
			attrs := rbac.Attributes{Verb: verb, APIGroup: group, Resource: resource, Subresource: sub, Name: name, Namespace: ns, Path: path}
			ctx, cancel := context.WithTimeout(cmd.Context(), f.timeout)
			defer cancel()
			models, incomplete, err := rbacModels(ctx, cmd, f, args[2:])
			if err != nil {
				return err
			}
			var rows []whoCanRow
			for _, m := range models {
				var reasons []rbac.Reason
				if ns == "" && path == "" && !clusterScope {
					reasons = m.WhoCanAnywhere(attrs)
				} else {
					reasons = m.WhoCan(attrs)
				}
				cluster := m.Cluster
				if len(models) == 1 {
					cluster = "" // the source column names it
				}
				for _, r := range reasons {
					row := whoCanRow{Cluster: cluster, Subject: r.Subject, Binding: r.Binding.Label(), Role: r.Binding.RoleLabel(),
						From: r.Rule.From, Location: locationOf(r.Binding.Node)}
					if r.Binding.Kind == "RoleBinding" {
						row.Namespace = r.Binding.Namespace
					}
					rows = append(rows, row)
				}
			}
			if err := writeWhoCan(cmd.OutOrStdout(), format, rows); err != nil {
				return err
			}
			if incomplete {
				return exitError{2}
			}
			return nil
		},
	}
	fl := cmd.Flags()
	fl.StringVarP(&ns, "namespace", "n", "", "namespace of the request (default: any namespace)")
	fl.BoolVar(&clusterScope, "cluster-scope", false, "ask about the cluster scope only (ClusterRoleBindings), as for a cluster-scoped resource")
	fl.StringVar(&name, "name", "", "name of the resource (matters for rules with resourceNames)")
	fl.StringVarP(&format, "format", "f", "table", "output format: table or json")
	fl.BoolVarP(&f.quiet, "quiet", "q", false, "print no warnings")
	addInputFlags(cmd, f)
	return cmd
}

func writeWhoCan(w io.Writer, format string, rows []whoCanRow) error {
	if format == "json" {
		if rows == nil {
			rows = []whoCanRow{}
		}
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(rows)
	}
	if len(rows) == 0 {
		_, err := fmt.Fprintln(w, "No subject is allowed.")
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SUBJECT\tNAMESPACE\tBINDING\tROLE\tSOURCE")
	for _, r := range rows {
		role := r.Role
		if r.From != "" {
			role += " (aggregated from ClusterRole " + r.From + ")"
		}
		ns := r.Namespace
		if ns == "" {
			ns = "*"
		}
		fmt.Fprintf(tw, "%s%s\t%s\t%s\t%s\t%s\n", clusterPrefix(r.Cluster), r.Subject, ns, r.Binding, role, r.Location)
	}
	return tw.Flush()
}

// joinSorted renders a set as a sorted, comma-separated list.
func joinSorted(set map[string]bool) string {
	out := make([]string, 0, len(set))
	for k := range set {
		out = append(out, k)
	}
	sort.Strings(out)
	return strings.Join(out, ",")
}
