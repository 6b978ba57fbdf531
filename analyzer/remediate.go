package analyzer

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/plugin"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// fix patches a Kubernetes resource's declared properties. It returns false
// when the properties cannot be patched safely (the spot is unknown, secret
// or not an object).
type fix struct {
	description string
	apply       func(props resource.PropertyMap) bool
}

// fixes are the rules with a safe automatic fix: each only turns off
// something the workload did not ask for explicitly.
var fixes = map[string]fix{
	"k8s/sa-token-automount": {
		description: "set automountServiceAccountToken: false on the pod spec",
		apply: func(props resource.PropertyMap) bool {
			spec, ok := podSpec(props)
			if !ok {
				return false
			}
			if v, has := spec["automountServiceAccountToken"]; has && v.IsBool() && v.BoolValue() {
				return false // asked for explicitly: not ours to change
			}
			spec["automountServiceAccountToken"] = resource.NewProperty(false)
			return true
		},
	},
	"k8s/privilege-escalation": {
		description: "set securityContext.allowPrivilegeEscalation: false on every container",
		apply: func(props resource.PropertyMap) bool {
			spec, ok := podSpec(props)
			if !ok {
				return false
			}
			changed := false
			for _, list := range []resource.PropertyKey{"initContainers", "containers", "ephemeralContainers"} {
				v, has := spec[list]
				if !has {
					continue
				}
				if !v.IsArray() {
					return false
				}
				for _, c := range v.ArrayValue() {
					if !c.IsObject() {
						return false
					}
					cm := c.ObjectValue()
					sc, has := cm["securityContext"]
					if !has || sc.IsNull() {
						sc = resource.NewProperty(resource.PropertyMap{})
						cm["securityContext"] = sc
					}
					if !sc.IsObject() {
						return false
					}
					scm := sc.ObjectValue()
					if p, ok := scm["privileged"]; ok && p.IsBool() && p.BoolValue() {
						continue // privileged-container's business
					}
					if a, ok := scm["allowPrivilegeEscalation"]; ok && a.IsBool() && !a.BoolValue() {
						continue
					}
					if a, ok := scm["allowPrivilegeEscalation"]; ok && !a.IsBool() {
						return false // unknown or secret
					}
					scm["allowPrivilegeEscalation"] = resource.NewProperty(false)
					changed = true
				}
			}
			return changed
		},
	},
}

// podSpec finds the pod spec in a Kubernetes workload's properties (the
// same places graph.PodTemplate looks).
func podSpec(props resource.PropertyMap) (resource.PropertyMap, bool) {
	kind := props["kind"]
	if !kind.IsString() {
		return nil, false
	}
	var path []resource.PropertyKey
	switch kind.StringValue() {
	case "Pod":
		path = []resource.PropertyKey{"spec"}
	case "CronJob":
		path = []resource.PropertyKey{"spec", "jobTemplate", "spec", "template", "spec"}
	case "Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "ReplicationController", "Job":
		path = []resource.PropertyKey{"spec", "template", "spec"}
	default:
		return nil, false
	}
	cur := props
	for _, k := range path {
		v, ok := cur[k]
		if !ok || !v.IsObject() {
			return nil, false
		}
		cur = v.ObjectValue()
	}
	return cur, true
}

// deepCopy copies objects and arrays; other values are immutable.
func deepCopy(v resource.PropertyValue) resource.PropertyValue {
	switch {
	case v.IsObject():
		m := resource.PropertyMap{}
		for k, e := range v.ObjectValue() {
			m[k] = deepCopy(e)
		}
		return resource.NewProperty(m)
	case v.IsArray():
		arr := make([]resource.PropertyValue, len(v.ArrayValue()))
		for i, e := range v.ArrayValue() {
			arr[i] = deepCopy(e)
		}
		return resource.NewProperty(arr)
	}
	return v
}

// Remediate returns the patched properties for each rule at enforcement
// level "remediate" that has a safe fix and fires on this resource; every
// other policy is not applicable.
func (s *Server) Remediate(ctx context.Context, req *pulumirpc.AnalyzeRequest) (*pulumirpc.RemediateResponse, error) {
	if err := s.failIfNotLoaded(); err != nil {
		return nil, err
	}
	opts := plugin.MarshalOptions{KeepUnknowns: true, KeepSecrets: true, KeepResources: true, KeepOutputValues: true}
	props, err := plugin.UnmarshalProperties(req.GetProperties(), opts)
	if err != nil {
		return nil, status.Errorf(codes.InvalidArgument, "%s: properties: %v", req.GetUrn(), err)
	}
	resp := &pulumirpc.RemediateResponse{}
	candidates := map[string]bool{}
	s.mu.Lock()
	for _, r := range s.rules {
		l := s.levels[r.ID]
		_, fixable := fixes[r.ID]
		switch {
		case l == "disabled":
		case !fixable:
			resp.NotApplicable = append(resp.NotApplicable, &pulumirpc.PolicyNotApplicable{PolicyName: r.ID, Reason: "no automatic fix"})
		case l != "remediate":
			resp.NotApplicable = append(resp.NotApplicable, &pulumirpc.PolicyNotApplicable{PolicyName: r.ID, Reason: fmt.Sprintf("enforcement level is %s, not remediate", l)})
		default:
			candidates[r.ID] = true
		}
	}
	s.mu.Unlock()
	if len(candidates) == 0 || !strings.HasPrefix(req.GetType(), "kubernetes:") {
		for _, id := range slices.Sorted(maps.Keys(candidates)) {
			resp.NotApplicable = append(resp.NotApplicable, &pulumirpc.PolicyNotApplicable{PolicyName: id, Reason: "not a Kubernetes workload"})
		}
		return resp, nil
	}
	cur := props
	for _, id := range slices.Sorted(maps.Keys(candidates)) {
		// Judge the resource alone with the same rule: only a firing rule is fixed.
		sn := s.snapshot(true, map[string]bool{id: true})
		in := resourceInput{urn: req.GetUrn(), typ: req.GetType(), props: plainProps(cur)}
		res, err := s.run(ctx, previewOf([]resourceInput{in}), sn)
		if err != nil {
			return nil, status.Errorf(codes.Internal, "remediating %s with %s: %v", req.GetUrn(), id, err)
		}
		fires := false
		for _, f := range res.findings {
			n := res.nodes[f.Resource]
			if f.RuleID == id && len(unknownPaths(n)) == 0 {
				fires = true
			}
		}
		if !fires {
			resp.NotApplicable = append(resp.NotApplicable, &pulumirpc.PolicyNotApplicable{PolicyName: id, Reason: "the resource complies, or its values are not known yet"})
			continue
		}
		next := deepCopy(resource.NewProperty(cur)).ObjectValue()
		if !fixes[id].apply(next) {
			resp.NotApplicable = append(resp.NotApplicable, &pulumirpc.PolicyNotApplicable{PolicyName: id, Reason: "the properties to change are not known or not plain values"})
			continue
		}
		mprops, err := plugin.MarshalProperties(next, opts)
		if err != nil {
			return nil, status.Errorf(codes.Internal, "%s: %v", req.GetUrn(), err)
		}
		r, _ := s.engine.Rule(id)
		desc := fixes[id].description
		if r != nil {
			desc = r.Title + ": " + desc
		}
		resp.Remediations = append(resp.Remediations, &pulumirpc.Remediation{
			PolicyName:        id,
			PolicyPackName:    s.pack.Name,
			PolicyPackVersion: s.pack.Version,
			Description:       desc,
			Properties:        mprops,
		})
		cur = next
	}
	return resp, nil
}
