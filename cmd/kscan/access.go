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

	"github.com/kscan-io/kscan/rbac"
)

type accessRow struct {
	Cluster     string   `json:"cluster,omitempty"`
	Namespace   string   `json:"namespace,omitempty"`
	Verbs       []string `json:"verbs"`
	APIGroup    string   `json:"apiGroup,omitempty"`
	Resource    string   `json:"resource,omitempty"`
	Subresource string   `json:"subresource,omitempty"`
	// LiteralSubresource: a rule resource "*/*", which the API server
	// matches only against a subresource named "*".
	LiteralSubresource bool     `json:"literalSubresource,omitempty"`
	ResourceName       string   `json:"resourceName,omitempty"`
	Nameless           bool     `json:"nameless,omitempty"`
	NonResourceURL     string   `json:"nonResourceURL,omitempty"`
	Via                []string `json:"via"`
}

type accessOutput struct {
	Subject rbac.Subject `json:"subject"`
	Groups  []string     `json:"groups"`
	Grants  []accessRow  `json:"grants"`
}

func newAccessCmd() *cobra.Command {
	f := &scanFlags{}
	var ns, format string
	var groups []string
	cmd := &cobra.Command{
		Use:   "access SUBJECT [PATH|-]...",
		Short: "List everything a subject may do, and through which binding and role",
		Long: `List every permission of a User, Group or ServiceAccount: its own bindings
and those of the groups it is in (system:authenticated; for a ServiceAccount
also system:serviceaccounts and system:serviceaccounts:<namespace>; plus
--group). Inputs are read as kscan scan reads them.

SUBJECT is User:NAME (or just NAME), Group:NAME, ServiceAccount:NS/NAME
(sa:NS/NAME) or system:serviceaccount:NS:NAME. A namespace of "*" in the
table means every namespace (a ClusterRoleBinding).`,
		Example: `  kscan access sa:shop/web k8s/
  kscan access alice --group dev --kubeconfig ~/.kube/config
  kscan access Group:system:authenticated --format json k8s/`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if _, err := applyConfig(cmd); err != nil {
				return err
			}
			if format != "table" && format != "json" {
				return fmt.Errorf("--format: want table or json")
			}
			subj, err := rbac.ParseSubject(args[0])
			if err != nil {
				return err
			}
			ctx, cancel := context.WithTimeout(cmd.Context(), f.timeout)
			defer cancel()
			models, incomplete, err := rbacModels(ctx, cmd, f, args[1:])
			if err != nil {
				return err
			}
			out := accessOutput{Subject: subj, Groups: rbac.UserInfoFor(subj, groups...).Groups, Grants: []accessRow{}}
			for _, m := range models {
				rows := accessRows(m, subj, groups, ns)
				if len(models) == 1 {
					for i := range rows {
						rows[i].Cluster = "" // one cluster: no need to repeat it
					}
				}
				out.Grants = append(out.Grants, rows...)
			}
			if err := writeAccess(cmd.OutOrStdout(), format, out); err != nil {
				return err
			}
			if incomplete {
				return exitError{2}
			}
			return nil
		},
	}
	fl := cmd.Flags()
	fl.StringArrayVar(&groups, "group", nil, "another group the subject is in; repeatable")
	fl.StringVarP(&ns, "namespace", "n", "", "only permissions that apply in this namespace")
	fl.StringVarP(&format, "format", "f", "table", "output format: table or json")
	fl.BoolVarP(&f.quiet, "quiet", "q", false, "print no warnings")
	addInputFlags(cmd, f)
	return cmd
}

// accessRows merges the verbs of grants that differ only in verb and come
// through the same bindings, so the table reads like a role.
func accessRows(m *rbac.Model, s rbac.Subject, groups []string, ns string) []accessRow {
	set := m.Access(s, groups...)
	type key struct {
		g   rbac.Grant
		via string
	}
	merged := map[key]*accessRow{}
	var order []key
	for _, e := range set.Sorted() {
		if ns != "" && e.Grant.Namespace != "" && e.Grant.Namespace != ns {
			continue
		}
		via := map[string]bool{}
		for _, src := range e.Sources {
			via[src.Label()] = true
		}
		g := e.Grant
		verb := g.Verb
		g.Verb = ""
		k := key{g, joinSorted(via)}
		r := merged[k]
		if r == nil {
			r = &accessRow{Cluster: m.Cluster, Namespace: g.Namespace, APIGroup: g.APIGroup, Resource: g.Resource, Subresource: g.Subresource,
				LiteralSubresource: g.LiteralSubresource, Nameless: g.Nameless,
				ResourceName: g.ResourceName, NonResourceURL: g.NonResourceURL}
			for v := range via {
				r.Via = append(r.Via, v)
			}
			sort.Strings(r.Via)
			merged[k] = r
			order = append(order, k)
		}
		r.Verbs = append(r.Verbs, verb)
	}
	out := make([]accessRow, 0, len(order))
	for _, k := range order {
		r := merged[k]
		sort.Strings(r.Verbs)
		out = append(out, *r)
	}
	return out
}

func writeAccess(w io.Writer, format string, out accessOutput) error {
	if format == "json" {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(out)
	}
	fmt.Fprintf(w, "%s (groups: %s)\n", out.Subject, strings.Join(out.Groups, ", "))
	if len(out.Grants) == 0 {
		_, err := fmt.Fprintln(w, "No permissions.")
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAMESPACE\tVERBS\tRESOURCE\tNAME\tVIA")
	for _, r := range out.Grants {
		ns := r.Namespace
		if ns == "" {
			ns = "*"
		}
		res := r.NonResourceURL
		if res == "" {
			res = r.Resource
			if r.APIGroup != "" {
				res += "." + r.APIGroup
			}
			if r.Subresource != "" && (r.LiteralSubresource || !(r.Resource == "*" && r.Subresource == "*")) {
				res += "/" + r.Subresource
			}
			ns = clusterPrefix(r.Cluster) + ns
		} else {
			ns = clusterPrefix(r.Cluster) + "-"
		}
		name := r.ResourceName
		if name == "" {
			name = "*"
			if r.Nameless {
				name = "(without a name)"
			}
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", ns, strings.Join(r.Verbs, ","), res, name, strings.Join(r.Via, "; "))
	}
	return tw.Flush()
}
