package normalize

import (
	"sort"

	"github.com/kscan-io/kscan/graph"
)

// Link folds a stack's role policy attachments and inline role policies into
// their role nodes (AttachedManagedPolicies, RolePolicyList), so the role
// looks as the AWS API describes it; the IAM enricher then adds the
// has-policy edges. Call it on all nodes of one stack before they are added
// to a graph.
func Link(nodes []*graph.Node) {
	roles := map[string][]*graph.Node{}
	for _, n := range nodes {
		if _, ok := n.Attrs[AttrPulumi]; !ok {
			continue
		}
		if n.Type == TypeIAMRole {
			if name, _ := n.Object["RoleName"].(string); name != "" {
				roles[name] = append(roles[name], n)
			}
		}
	}
	for _, n := range nodes {
		if _, ok := n.Attrs[AttrPulumi]; !ok {
			continue
		}
		switch n.Type {
		case TypeIAMRolePolicyAttachment:
			role, _ := n.Object["role"].(string)
			arn, _ := n.Object["policyArn"].(string)
			if arn == "" || IsMarker(arn) {
				continue
			}
			for _, r := range roles[role] {
				r.Object["AttachedManagedPolicies"] = appendUnique(r.Object["AttachedManagedPolicies"], "PolicyArn",
					map[string]any{"PolicyArn": arn, "PolicyName": lastSegment(arn)})
			}
		case TypeIAMRolePolicy:
			role, _ := n.Object["role"].(string)
			name, _ := n.Object["name"].(string)
			if name == "" {
				name = n.ID
			}
			for _, r := range roles[role] {
				r.Object["RolePolicyList"] = appendUnique(r.Object["RolePolicyList"], "PolicyName",
					map[string]any{"PolicyName": name, "PolicyDocument": n.Attrs["policy_document"]})
			}
		}
	}
}

func appendUnique(list any, key string, e map[string]any) []any {
	l, _ := list.([]any)
	for _, x := range l {
		if xm, ok := x.(map[string]any); ok && xm[key] == e[key] {
			return l
		}
	}
	l = append(l, e)
	sort.SliceStable(l, func(i, j int) bool {
		a, _ := l[i].(map[string]any)[key].(string)
		b, _ := l[j].(map[string]any)[key].(string)
		return a < b
	})
	return l
}
