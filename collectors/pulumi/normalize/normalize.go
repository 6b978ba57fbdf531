package normalize

import (
	"encoding/json"
	"maps"
	"slices"
	"sort"
	"strings"

	"github.com/kscan-io/kscan/collectors/iam"
	"github.com/kscan-io/kscan/graph"
)

// Node types made for AWS resources that other collectors also produce.
// They follow the AWS API's own names so that one rule serves both.
const (
	TypeIAMRole    = iam.TypeRole
	TypeIAMPolicy  = iam.TypePolicy
	TypeRepository = "registry:Repository"
	// Attachments and inline role policies are folded into their role by
	// Link; until then they are nodes of these types.
	TypeIAMRolePolicyAttachment = "aws:iam/RolePolicyAttachment"
	TypeIAMRolePolicy           = "aws:iam/RolePolicy"
)

// AttrPulumi is the Attrs key holding what kscan knows about a node as a
// Pulumi resource (urn, type, secret and unknown paths, plaintext secrets,
// provider, parent, dependencies, protect, external).
const AttrPulumi = "pulumi"

// AttrK8sID keeps the Kubernetes identity (<ns>/<Kind>/<name>) of a
// kubernetes:* resource whose node ID is its URN, so live objects can be
// joined to it (graph.AttrK8sID).
const AttrK8sID = graph.AttrK8sID

// NodesFromResource normalises one Pulumi resource. inputs is the declared
// intent, outputs (may be nil, as in a preview) what the provider reported.
// The node ID is the URN; src should carry the URN and the state file.
// Every resource gives a node (providers and the stack too: their inputs
// and outputs can hold plain secrets); kubernetes:* resources without an
// object (components such as Helm charts) get a node of their Pulumi type.
func NodesFromResource(urn, typ string, inputs, outputs map[string]any, src graph.Source) []*graph.Node {
	ci := Clean(dropInternal(inputs), "inputs")
	co := Clean(dropInternal(outputs), "outputs")
	plain := plaintextSecrets(typ, ci.Value, "inputs")
	// An output that repeats a plain input is the same mistake: report it once.
	seen := map[string]bool{}
	for _, p := range plain {
		seen[strings.TrimPrefix(p, "inputs.")] = true
	}
	for _, p := range plaintextSecrets(typ, co.Value, "outputs") {
		if !seen[strings.TrimPrefix(p, "outputs.")] {
			plain = append(plain, p)
		}
	}
	sort.Strings(plain)
	if src.URN == "" {
		src.URN = urn
	}
	pattrs := map[string]any{
		"urn":  urn,
		"type": typ,
	}
	if len(ci.Secrets)+len(co.Secrets) > 0 {
		pattrs["secret_paths"] = graph.AnyList(append(append([]string{}, ci.Secrets...), co.Secrets...))
	}
	if len(ci.Unknowns)+len(co.Unknowns) > 0 {
		pattrs["unknown_paths"] = graph.AnyList(append(append([]string{}, ci.Unknowns...), co.Unknowns...))
	}
	if len(plain) > 0 {
		pattrs["plaintext_secrets"] = graph.AnyList(plain)
	}
	attrs := map[string]any{AttrPulumi: pattrs}

	var n *graph.Node
	switch {
	case strings.HasPrefix(typ, "kubernetes:"):
		n = k8sNode(ci.Value, co.Value, src)
		if n != nil {
			attrs[AttrK8sID] = n.ID
		}
	case typ == "aws:iam/role:Role":
		n = iamRole(ci.Value, co.Value, attrs, src)
	case typ == "aws:iam/policy:Policy":
		n = iamPolicy(ci.Value, co.Value, attrs, src)
	case typ == "aws:iam/rolePolicyAttachment:RolePolicyAttachment":
		n = &graph.Node{Type: TypeIAMRolePolicyAttachment, Object: merged(ci.Value, co.Value)}
	case typ == "aws:iam/rolePolicy:RolePolicy":
		obj := merged(ci.Value, co.Value)
		attrs["policy_document"] = parsePolicy(obj["policy"])
		n = &graph.Node{Type: TypeIAMRolePolicy, Object: obj}
	case typ == "aws:ecr/repository:Repository":
		n = ecrRepository(ci.Value, co.Value, attrs)
	case typ == "aws:s3/bucketPolicy:BucketPolicy":
		obj := merged(ci.Value, co.Value)
		attrs["policy_document"] = parsePolicy(obj["policy"])
		n = &graph.Node{Type: AWSType(typ), Object: obj}
	case strings.HasPrefix(typ, "aws:"):
		obj := merged(ci.Value, co.Value)
		if p, ok := obj["policy"]; ok {
			attrs["policy_document"] = parsePolicy(p)
		}
		n = &graph.Node{Type: AWSType(typ), Object: obj}
	}
	if n == nil {
		n = &graph.Node{Type: typ, Object: merged(ci.Value, co.Value)}
	}
	n.ID = urn
	n.Source = src
	if n.Attrs == nil {
		n.Attrs = map[string]any{}
	}
	for k, v := range attrs {
		n.Attrs[k] = v
	}
	redact(n.Object, plain)
	return []*graph.Node{n}
}

// AWSType maps a Pulumi AWS token to kscan's type: "aws:ec2/securityGroup:SecurityGroup"
// becomes "aws:ec2/SecurityGroup", like "aws:iam/Role" from the AWS collectors.
func AWSType(token string) string {
	parts := strings.Split(token, ":")
	if len(parts) != 3 {
		return token
	}
	mod := parts[1]
	if i := strings.Index(mod, "/"); i >= 0 {
		mod = mod[:i]
	}
	return parts[0] + ":" + mod + "/" + parts[2]
}

// dropInternal removes the provider's bookkeeping keys (__defaults,
// __inputs, __fieldManager…), which repeat or describe other properties.
func dropInternal(m map[string]any) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		if !strings.HasPrefix(k, "__") {
			out[k] = v
		}
	}
	return out
}

// merged overlays known outputs on inputs: outputs are what exists, inputs
// fill in what a preview has not computed yet.
func merged(in, out map[string]any) map[string]any {
	res := make(map[string]any, len(in)+len(out))
	for k, v := range in {
		res[k] = v
	}
	for k, v := range out {
		if s, _ := v.(string); s == UnknownMarker {
			if _, has := res[k]; has {
				continue
			}
		}
		res[k] = v
	}
	return res
}

// k8sNode rebuilds the Kubernetes object from the declared inputs. Names and
// namespaces the provider generated (autonaming) come from the outputs.
func k8sNode(in, out map[string]any, src graph.Source) *graph.Node {
	obj := graph.DeepCopy(in).(map[string]any)
	if !graph.IsK8sObject(obj) {
		if graph.IsK8sObject(out) {
			obj = graph.DeepCopy(out).(map[string]any)
			stripServerFields(obj)
		} else {
			return nil // a component (Helm chart, ConfigFile) or a List
		}
	}
	meta, _ := obj["metadata"].(map[string]any)
	if meta == nil {
		meta = map[string]any{}
		obj["metadata"] = meta
	}
	ometa, _ := out["metadata"].(map[string]any)
	for _, k := range []string{"name", "namespace"} {
		if s, _ := meta[k].(string); s == "" || s == UnknownMarker {
			if os, _ := ometa[k].(string); os != "" {
				meta[k] = os
			}
		}
	}
	if s, _ := meta["name"].(string); s == "" || s == UnknownMarker {
		return nil
	}
	return graph.NewK8sNode(obj, src, "default")
}

func stripServerFields(obj map[string]any) {
	delete(obj, "status")
	if meta, ok := obj["metadata"].(map[string]any); ok {
		for _, k := range []string{"managedFields", "resourceVersion", "uid", "creationTimestamp", "generation", "selfLink"} {
			delete(meta, k)
		}
	}
}

// iamRole builds the role with the IAM collector's constructor, so it has
// the shape of docs/iam.md (RoleName, Arn, AssumeRolePolicyDocument,
// RolePolicyList, AttachedManagedPolicies). The ARN is known from outputs
// only; before that the object has none.
func iamRole(in, out map[string]any, attrs map[string]any, src graph.Source) *graph.Node {
	p := merged(in, out)
	arn, _ := p["arn"].(string)
	name, _ := p["name"].(string)
	inline := map[string]any{}
	if list, ok := p["inlinePolicies"].([]any); ok {
		for _, e := range list {
			em, _ := e.(map[string]any)
			if n, _ := em["name"].(string); n != "" && !IsMarker(n) {
				inline[n] = document(em["policy"])
			}
		}
	}
	var managed []string
	if list, ok := p["managedPolicyArns"].([]any); ok {
		for _, e := range list {
			if a, _ := e.(string); a != "" && !IsMarker(a) {
				managed = append(managed, a)
			}
		}
	}
	n := iam.RoleNode(placeholderARN(arn, src.URN), name, document(p["assumeRolePolicy"]), inline, managed, src)
	if n == nil {
		return nil // no ARN nor URN: left to the generic shape
	}
	fixARN(n, arn)
	copyStr(n.Object, "Path", p["path"])
	copyStr(n.Object, "RoleId", p["uniqueId"])
	if pb, _ := p["permissionsBoundary"].(string); pb != "" && !IsMarker(pb) {
		n.Object["PermissionsBoundary"] = map[string]any{"PermissionsBoundaryArn": pb, "PermissionsBoundaryType": "Policy"}
	}
	if s, ok := p["assumeRolePolicy"].(string); ok && IsMarker(s) {
		attrs["trust_policy_unknown"] = true
	}
	return n
}

// iamPolicy builds a managed policy node with the IAM collector's
// constructor (Arn, PolicyName, Document).
func iamPolicy(in, out map[string]any, attrs map[string]any, src graph.Source) *graph.Node {
	p := merged(in, out)
	arn, _ := p["arn"].(string)
	name, _ := p["name"].(string)
	n := iam.PolicyNode(placeholderARN(arn, src.URN), name, document(p["policy"]), src)
	if n == nil {
		return nil
	}
	fixARN(n, arn)
	copyStr(n.Object, "Path", p["path"])
	copyStr(n.Object, "PolicyId", p["policyId"])
	return n
}

// document is a policy document for the IAM constructors: secret or unknown
// documents are left out (nil) rather than reported as unreadable.
func document(v any) any {
	if v == nil || IsMarker(v) {
		return nil
	}
	return v
}

func placeholderARN(arn, urn string) string {
	if arn == "" || IsMarker(arn) {
		return urn
	}
	return arn
}

func fixARN(n *graph.Node, arn string) {
	if arn == "" || IsMarker(arn) {
		delete(n.Object, "Arn")
	}
}

// ecrRepository is the registry repository node: imageTagMutability and
// imageScanningConfiguration.scanOnPush as ECR's API names them; the
// <host>/<repo> identity goes in Attrs["repository_id"].
func ecrRepository(in, out map[string]any, attrs map[string]any) *graph.Node {
	p := merged(in, out)
	obj := map[string]any{"provider": "ecr"}
	copyStr(obj, "name", p["name"])
	copyStr(obj, "arn", p["arn"])
	if v, ok := p["imageTagMutability"]; ok {
		obj["imageTagMutability"] = v
	} else {
		obj["imageTagMutability"] = "MUTABLE" // the AWS default
	}
	scan := map[string]any{"scanOnPush": false} // the AWS default
	if list, ok := p["imageScanningConfiguration"].([]any); ok && len(list) > 0 {
		p["imageScanningConfiguration"] = list[0] // older providers: a one-element list
	}
	switch c := p["imageScanningConfiguration"].(type) {
	case map[string]any:
		if v, ok := c["scanOnPush"]; ok {
			scan["scanOnPush"] = v
		}
	case string: // secret or unknown as a whole
		scan["scanOnPush"] = c
	}
	obj["imageScanningConfiguration"] = scan
	copyStr(obj, "registryId", p["registryId"])
	if url, _ := p["repositoryUrl"].(string); url != "" && !IsMarker(url) {
		obj["repositoryUrl"] = url
		obj["repositoryUri"] = url // the ECR API's name, as the ECR collector keeps it
		attrs["repository_id"] = url
	}
	if list, ok := p["encryptionConfigurations"].([]any); ok && len(list) > 0 {
		if e, ok := list[0].(map[string]any); ok {
			enc := map[string]any{}
			copyStr(enc, "encryptionType", e["encryptionType"])
			copyStr(enc, "kmsKey", e["kmsKey"])
			obj["encryptionConfiguration"] = enc
		}
	}
	if pol, ok := p["policy"]; ok {
		attrs["policy_document"] = parsePolicy(pol)
	}
	return &graph.Node{Type: TypeRepository, Object: obj}
}

// parsePolicy decodes a JSON policy document held in a string (Pulumi keeps
// them as strings). A secret or unknown stays the marker; unparsable text
// becomes nil.
func parsePolicy(v any) any {
	switch t := v.(type) {
	case map[string]any:
		return t
	case string:
		if IsMarker(t) {
			return t
		}
		var doc map[string]any
		if err := json.Unmarshal([]byte(t), &doc); err != nil {
			return nil
		}
		return doc
	}
	return nil
}

// plaintextSecrets lists the property paths whose name looks secret but
// whose value is a plain, non-empty string. Values are never returned.
// Every key of a Kubernetes Secret's data and stringData counts.
func plaintextSecrets(typ string, props map[string]any, prefix string) []string {
	var out []string
	isK8sSecret := typ == "kubernetes:core/v1:Secret"
	var walk func(v any, path, name string, secretCtx bool, depth int)
	walk = func(v any, path, name string, secretCtx bool, depth int) {
		if depth > maxDepth {
			return
		}
		switch t := v.(type) {
		case string:
			if t != "" && !IsMarker(t) && (secretCtx || LooksSecret(name)) {
				out = append(out, path)
			}
		case map[string]any:
			for _, k := range slices.Sorted(maps.Keys(t)) {
				if k == "managedFields" {
					continue
				}
				walk(t[k], join(path, k), k, false, depth+1)
			}
		case []any:
			for i, e := range t {
				walk(e, path+"["+itoa(i)+"]", name, secretCtx, depth+1)
			}
		}
	}
	secretProps := generatedSecrets[typ]
	for _, k := range slices.Sorted(maps.Keys(props)) {
		if secretProps[k] {
			walk(props[k], join(prefix, k), k, true, 0)
			continue
		}
		if isK8sSecret && (k == "data" || k == "stringData") {
			if m, ok := props[k].(map[string]any); ok {
				for _, dk := range slices.Sorted(maps.Keys(m)) {
					walk(m[dk], join(join(prefix, k), dk), dk, true, 1)
				}
				continue
			}
		}
		walk(props[k], join(prefix, k), k, false, 0)
	}
	return out
}

// generatedSecrets are the properties of resource types that generate a
// secret, whatever the property is called (the random provider's result).
var generatedSecrets = map[string]map[string]bool{
	"random:index/randomPassword:RandomPassword": {"result": true, "bcryptHash": true},
	"random:index/randomString:RandomString":     {"result": true},
	"random:index/randomBytes:RandomBytes":       {"base64": true, "hex": true},
	"tls:index/privateKey:PrivateKey":            {"privateKeyPem": true, "privateKeyOpenssh": true, "privateKeyPemPkcs8": true},
}

// redact replaces, in a node's object, every value the plaintext-secret
// check flagged, so that no report or rule can echo it.
func redact(obj map[string]any, paths []string) {
	if len(paths) == 0 || obj == nil {
		return
	}
	flag := map[string]bool{}
	for _, p := range paths {
		flag[p[strings.Index(p, ".")+1:]] = true
	}
	var walk func(v any, path string, depth int) any
	walk = func(v any, path string, depth int) any {
		if depth > maxDepth {
			return v
		}
		switch t := v.(type) {
		case string:
			if flag[path] {
				return "[redacted]"
			}
		case map[string]any:
			for k, e := range t {
				t[k] = walk(e, join(path, k), depth+1)
			}
		case []any:
			for i, e := range t {
				t[i] = walk(e, path+"["+itoa(i)+"]", depth+1)
			}
		}
		return v
	}
	for k, v := range obj {
		obj[k] = walk(v, k, 0)
	}
	// IAM and registry objects are reshaped; their secret-looking values
	// can only sit in the kept Pulumi names, which the walk above covers.
}

func copyStr(obj map[string]any, key string, v any) {
	if s, ok := v.(string); ok && s != "" {
		obj[key] = s
	}
}

func lastSegment(arn string) string {
	if i := strings.LastIndex(arn, "/"); i >= 0 {
		return arn[i+1:]
	}
	return arn
}

func itoa(i int) string {
	const digits = "0123456789"
	if i < 10 {
		return digits[i : i+1]
	}
	return itoa(i/10) + digits[i%10:i%10+1]
}
