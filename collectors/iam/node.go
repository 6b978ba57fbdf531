// Package iam collects AWS IAM users, groups, roles and policies, and EKS
// Pod Identity associations, into the graph: live through the IAM API
// (GetAccountAuthorizationDetails) or offline from the JSON that
// `aws iam get-account-authorization-details` prints. Both produce identical
// nodes (see docs/iam.md for their shape); other sources (Pulumi state)
// build the same nodes with RoleNode, PolicyNode, UserNode and GroupNode.
package iam

import (
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/kscan-io/kscan/graph"
	"github.com/kscan-io/kscan/iampolicy"
)

// Node types, re-exported for callers that only import this package.
const (
	TypeUser                   = iampolicy.TypeUser
	TypeGroup                  = iampolicy.TypeGroup
	TypeRole                   = iampolicy.TypeRole
	TypePolicy                 = iampolicy.TypePolicy
	TypeEKSCluster             = iampolicy.TypeEKSCluster
	TypePodIdentityAssociation = iampolicy.TypePodIdentityAssociation
	TypeCredentialReport       = iampolicy.TypeCredentialReport
)

// RoleNode builds the node of an IAM role for sources other than the IAM
// API (e.g. Pulumi state). trustPolicy and the values of inlinePolicies
// (keyed by policy name) are policy documents as objects, JSON strings or
// URL-encoded JSON strings. A document that cannot be read is kept as given;
// enrich.Graph reports it as an input error naming the role.
func RoleNode(arn, name string, trustPolicy any, inlinePolicies map[string]any, attachedPolicyArns []string, src graph.Source) *graph.Node {
	inline := []any{}
	for _, k := range slices.Sorted(maps.Keys(inlinePolicies)) {
		inline = append(inline, map[string]any{"PolicyName": k, "PolicyDocument": inlinePolicies[k]})
	}
	attached := []any{}
	arns := append([]string(nil), attachedPolicyArns...)
	sort.Strings(arns)
	for _, a := range arns {
		attached = append(attached, map[string]any{"PolicyArn": a, "PolicyName": a[strings.LastIndex(a, "/")+1:]})
	}
	return build(TypeRole, arn, map[string]any{
		"Arn": arn, "RoleName": name, "AssumeRolePolicyDocument": trustPolicy,
		"RolePolicyList": inline, "AttachedManagedPolicies": attached,
	}, src)
}

// PolicyNode builds the node of a managed policy from its ARN, name and
// (default version) document.
func PolicyNode(arn, name string, document any, src graph.Source) *graph.Node {
	return build(TypePolicy, arn, map[string]any{"Arn": arn, "PolicyName": name, "Document": document}, src)
}

// UserNode builds the node of an IAM user; groups are group names.
func UserNode(arn, name string, groups []string, inlinePolicies map[string]any, attachedPolicyArns []string, src graph.Source) *graph.Node {
	r := RoleNode(arn, name, nil, inlinePolicies, attachedPolicyArns, src)
	gl := []any{}
	for _, g := range groups {
		gl = append(gl, g)
	}
	return build(TypeUser, arn, map[string]any{"Arn": arn, "UserName": name, "GroupList": gl,
		"UserPolicyList": r.Object["RolePolicyList"], "AttachedManagedPolicies": r.Object["AttachedManagedPolicies"]}, src)
}

// GroupNode builds the node of an IAM group.
func GroupNode(arn, name string, inlinePolicies map[string]any, attachedPolicyArns []string, src graph.Source) *graph.Node {
	r := RoleNode(arn, name, nil, inlinePolicies, attachedPolicyArns, src)
	return build(TypeGroup, arn, map[string]any{"Arn": arn, "GroupName": name,
		"GroupPolicyList": r.Object["RolePolicyList"], "AttachedManagedPolicies": r.Object["AttachedManagedPolicies"]}, src)
}

// NewNode builds a node from one entry of an authorization-details document
// (UserDetailList, GroupDetailList, RoleDetailList or Policies), given as
// JSON objects with the field names AWS uses. It normalises the entry to the
// shape documented in docs/iam.md: policy documents decoded to objects,
// dates in RFC 3339 UTC, lists never null, and only the fields kscan uses.
func NewNode(typ string, e map[string]any, src graph.Source) (*graph.Node, error) {
	arn, _ := e["Arn"].(string)
	if arn == "" {
		return nil, fmt.Errorf("entry has no Arn")
	}
	o, err := normalize(typ, e)
	if err != nil {
		return nil, err
	}
	return &graph.Node{ID: arn, Type: typ, Object: o, Source: src}, nil
}

// build is NewNode for the constructors: it never fails, so that a source
// with a placeholder identity (a Pulumi URN before the ARN is known) still
// gets a node.
func build(typ, id string, e map[string]any, src graph.Source) *graph.Node {
	o, _ := normalize(typ, e)
	if o == nil {
		o = map[string]any{}
	}
	return &graph.Node{ID: id, Type: typ, Object: o, Source: src}
}

func normalize(typ string, e map[string]any) (map[string]any, error) {
	o := map[string]any{}
	copyStr := func(keys ...string) {
		for _, k := range keys {
			if s, ok := e[k].(string); ok && s != "" {
				o[k] = s
			}
		}
	}
	copyDate := func(keys ...string) {
		for _, k := range keys {
			if s := normDate(e[k]); s != "" {
				o[k] = s
			}
		}
	}
	copyStr("Arn", "Path")
	copyDate("CreateDate")
	switch typ {
	case TypeUser:
		copyStr("UserName", "UserId")
		o["GroupList"] = strList(e["GroupList"])
		o["UserPolicyList"] = inlineList(e["UserPolicyList"])
		o["AttachedManagedPolicies"] = attachedList(e["AttachedManagedPolicies"])
		o["Tags"] = tagList(e["Tags"])
		if pb := boundary(e["PermissionsBoundary"]); pb != nil {
			o["PermissionsBoundary"] = pb
		}
		if cr, ok := e["CredentialReport"].(map[string]any); ok {
			o["CredentialReport"] = cr
		}
	case TypeGroup:
		copyStr("GroupName", "GroupId")
		o["GroupPolicyList"] = inlineList(e["GroupPolicyList"])
		o["AttachedManagedPolicies"] = attachedList(e["AttachedManagedPolicies"])
	case TypeRole:
		copyStr("RoleName", "RoleId", "Description")
		if d, ok := e["AssumeRolePolicyDocument"]; ok && d != nil {
			o["AssumeRolePolicyDocument"] = decodeDoc(d)
		}
		o["RolePolicyList"] = inlineList(e["RolePolicyList"])
		o["AttachedManagedPolicies"] = attachedList(e["AttachedManagedPolicies"])
		o["Tags"] = tagList(e["Tags"])
		if pb := boundary(e["PermissionsBoundary"]); pb != nil {
			o["PermissionsBoundary"] = pb
		}
		ips := []any{}
		for _, x := range list(e["InstanceProfileList"]) {
			m, _ := x.(map[string]any)
			ip := map[string]any{}
			for _, k := range []string{"Arn", "InstanceProfileName", "InstanceProfileId", "Path"} {
				if s, ok := m[k].(string); ok && s != "" {
					ip[k] = s
				}
			}
			ips = append(ips, ip)
		}
		o["InstanceProfileList"] = ips
		if ru, ok := e["RoleLastUsed"].(map[string]any); ok {
			r := map[string]any{}
			if s := normDate(ru["LastUsedDate"]); s != "" {
				r["LastUsedDate"] = s
			}
			if s, ok := ru["Region"].(string); ok && s != "" {
				r["Region"] = s
			}
			if len(r) > 0 {
				o["RoleLastUsed"] = r
			}
		}
	case TypePolicy:
		copyStr("PolicyName", "PolicyId", "DefaultVersionId", "Description")
		copyDate("UpdateDate")
		if v, ok := e["AttachmentCount"].(float64); ok {
			o["AttachmentCount"] = v
		}
		if v, ok := e["IsAttachable"].(bool); ok {
			o["IsAttachable"] = v
		}
		if d, ok := e["Document"]; ok {
			o["Document"] = decodeDoc(d)
		} else if d := defaultVersion(e); d != nil {
			o["Document"] = decodeDoc(d)
		}
	default:
		return nil, fmt.Errorf("unknown IAM node type %q", typ)
	}
	return o, nil
}

// defaultVersion picks the document of the default version of a managed
// policy.
func defaultVersion(e map[string]any) any {
	def, _ := e["DefaultVersionId"].(string)
	for _, v := range list(e["PolicyVersionList"]) {
		m, _ := v.(map[string]any)
		id, _ := m["VersionId"].(string)
		if isDef, _ := m["IsDefaultVersion"].(bool); isDef || (def != "" && id == def) {
			return m["Document"]
		}
	}
	return nil
}

// decodeDoc returns the document as an object when it can be read, else as
// given (the enricher reports it, naming the principal).
func decodeDoc(d any) any {
	if m, err := iampolicy.Decode(d); err == nil {
		return m
	}
	return d
}

func inlineList(v any) []any {
	out := []any{}
	for _, x := range list(v) {
		m, _ := x.(map[string]any)
		name, _ := m["PolicyName"].(string)
		out = append(out, map[string]any{"PolicyName": name, "PolicyDocument": decodeDoc(m["PolicyDocument"])})
	}
	return out
}

func attachedList(v any) []any {
	out := []any{}
	for _, x := range list(v) {
		m, _ := x.(map[string]any)
		arn, _ := m["PolicyArn"].(string)
		name, _ := m["PolicyName"].(string)
		out = append(out, map[string]any{"PolicyArn": arn, "PolicyName": name})
	}
	return out
}

func tagList(v any) []any {
	out := []any{}
	for _, x := range list(v) {
		m, _ := x.(map[string]any)
		k, _ := m["Key"].(string)
		val, _ := m["Value"].(string)
		out = append(out, map[string]any{"Key": k, "Value": val})
	}
	return out
}

func boundary(v any) map[string]any {
	m, _ := v.(map[string]any)
	arn, _ := m["PermissionsBoundaryArn"].(string)
	if arn == "" {
		return nil
	}
	t, _ := m["PermissionsBoundaryType"].(string)
	if t == "" {
		t = "Policy"
	}
	return map[string]any{"PermissionsBoundaryArn": arn, "PermissionsBoundaryType": t}
}

func strList(v any) []any {
	out := []any{}
	for _, x := range list(v) {
		if s, ok := x.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

func list(v any) []any {
	l, _ := v.([]any)
	return l
}

// normDate renders the date formats of the AWS CLI ("2023-03-09T10:41:45+00:00"),
// of Cloudsplaining-style exports ("2023-03-09 10:41:45+00:00") and of the
// SDK (RFC 3339) the same way.
func normDate(v any) string {
	s, ok := v.(string)
	if !ok || s == "" {
		return ""
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02 15:04:05Z07:00", "2006-01-02T15:04:05Z0700", "2006-01-02 15:04:05"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC().Format(time.RFC3339)
		}
	}
	return s
}
