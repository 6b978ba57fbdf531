package finding

import "github.com/kscan-io/kscan/graph"

// LocationOf converts a graph source to a finding location.
func LocationOf(s graph.Source) Location {
	return Location{Kind: string(s.Kind), File: s.File, Line: s.Line, Cluster: s.Cluster, Path: s.Path, URN: s.URN}
}
