package policies

import (
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/open-policy-agent/opa/v1/ast"

	"github.com/kscan-io/kscan/finding"
)

// Field names of a deny element (and termKey, "key").
var (
	fieldMessage       = ast.StringTerm("message")
	fieldMsg           = ast.StringTerm("msg")
	fieldSeverity      = ast.StringTerm("severity")
	fieldRelated       = ast.StringTerm("related")
	fieldDiscriminator = ast.StringTerm("discriminator")
	fieldAlias         = ast.StringTerm("alias")
	fieldPath          = ast.StringTerm("path")
	fieldEdge          = ast.StringTerm("edge")
	fieldProperties    = ast.StringTerm("properties")
)

// field is the string value of an object's field, "" when absent or not a
// string.
func field(obj ast.Object, name *ast.Term) string {
	if t := obj.Get(name); t != nil {
		if s, ok := t.Value.(ast.String); ok {
			return string(s)
		}
	}
	return ""
}

// toFinding reads one element of a rule's deny set: an object with "key"
// (the node key) or "resource" (an identity), "message" (or "msg"), and
// optionally "severity" (to override the rule's) and "related" (keys).
func (e *Engine) toFinding(r Rule, raw *ast.Term, in *Input) (finding.Finding, error) {
	m, ok := raw.Value.(ast.Object)
	if !ok {
		return finding.Finding{}, fmt.Errorf("deny element is %s, want an object with key and message", ast.ValueName(raw.Value))
	}
	msg := field(m, fieldMessage)
	if msg == "" {
		msg = field(m, fieldMsg)
	}
	key := field(m, termKey)
	n, ok := in.Node(key)
	if !ok {
		if key == "" {
			return finding.Finding{}, errors.New(`deny element has no "key" naming the node it is about`)
		}
		return finding.Finding{}, fmt.Errorf("deny element names unknown node %q", key)
	}
	sev := r.Severity
	if s := field(m, fieldSeverity); s != "" && finding.SeverityRank(s) >= 0 {
		sev = strings.ToLower(s)
	}
	f := finding.Finding{
		RuleID:       r.ID,
		Title:        r.Title,
		Severity:     sev,
		Message:      msg,
		Resource:     n.ID,
		ResourceType: n.Type,
		Location:     finding.LocationOf(n.Source),
		Remediation:  r.Remediation,
		HelpURI:      r.HelpURI,
		Frameworks:   r.Frameworks,
	}
	if rel := m.Get(fieldRelated); rel != nil {
		if c, ok := rel.Value.(interface{ Foreach(func(*ast.Term)) }); ok {
			c.Foreach(func(x *ast.Term) {
				if k, ok := x.Value.(ast.String); ok {
					if rn, ok := in.Node(string(k)); ok {
						f.Related = append(f.Related, rn.ID)
						if f.RelatedLocations == nil {
							f.RelatedLocations = map[string]finding.Location{}
						}
						f.RelatedLocations[rn.ID] = finding.LocationOf(rn.Source)
					}
				}
			})
			sort.Strings(f.Related)
		}
	}
	// "path": the resources the finding follows, in order, each a key or
	// {"key": k, "edge": relation to the next}.
	if p := m.Get(fieldPath); p != nil {
		if arr, ok := p.Value.(*ast.Array); ok {
			arr.Foreach(func(x *ast.Term) {
				var key, edge string
				switch v := x.Value.(type) {
				case ast.String:
					key = string(v)
				case ast.Object:
					key, edge = field(v, termKey), field(v, fieldEdge)
				}
				if pn, ok := in.Node(key); ok {
					f.Path = append(f.Path, finding.PathStep{Resource: pn.ID, ResourceType: pn.Type, Location: finding.LocationOf(pn.Source), Relation: edge})
				}
			})
		}
	}
	if pt := m.Get(fieldProperties); pt != nil {
		props, _ := pt.Value.(ast.Object)
		if props != nil {
			props.Foreach(func(k, v *ast.Term) {
				name, ok := k.Value.(ast.String)
				if !ok {
					return
				}
				list := []string{}
				if c, ok := v.Value.(interface{ Foreach(func(*ast.Term)) }); ok {
					c.Foreach(func(x *ast.Term) {
						if s, ok := x.Value.(ast.String); ok {
							list = append(list, string(s))
						}
					})
				}
				if _, isSet := v.Value.(ast.Set); isSet {
					sort.Strings(list)
				}
				if f.Properties == nil {
					f.Properties = map[string][]string{}
				}
				f.Properties[string(name)] = list
			})
		}
	}
	// The discriminator separates several findings of one rule on one
	// resource (e.g. one per container). The message is never part of the
	// identity: it names things (other workloads, counts) that change when
	// unrelated parts of the input do. Two findings with one identity are
	// caught in Eval.
	disc := field(m, fieldDiscriminator)
	f.Fingerprint = finding.Fingerprint(r.ID, n.ID, disc)
	// A finding of a case that used to be its own rule names that id, so
	// that ignores and baselines written for it keep matching.
	if a := field(m, fieldAlias); a != "" && slices.Contains(r.Aliases, a) {
		f.Aliases = []string{a}
		f.LegacyFingerprints = []string{finding.Fingerprint(a, n.ID, disc)}
	}
	return f, nil
}
