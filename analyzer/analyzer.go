// Package analyzer is kscan as a Pulumi policy pack: a pulumirpc.Analyzer
// gRPC service that judges the resources of a preview or update with the same
// engine and the same Rego rules as `kscan scan`. Each resource is normalised
// by collectors/pulumi/normalize, exactly as the Pulumi state collector does,
// so a rule sees the same node whether it comes from a stack export, a live
// cluster or a deployment in progress.
package analyzer

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/blang/semver"
	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/plugin"
	"github.com/pulumi/pulumi/sdk/v3/go/common/tokens"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/known/structpb"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/kubernetes/scheme"

	"github.com/kscan-io/kscan/collectors/pulumi"
	"github.com/kscan-io/kscan/collectors/pulumi/normalize"
	"github.com/kscan-io/kscan/finding"
	"github.com/kscan-io/kscan/graph"
	"github.com/kscan-io/kscan/policies"
	"github.com/kscan-io/kscan/scan"
)

// ErrorPolicy names the diagnostic reported when kscan itself fails on a
// call (a rule error, an internal panic): the deployment is then not gated
// silently.
const ErrorPolicy = "kscan-evaluation-error"

// ParamsFact is where rule parameters reach Rego:
// input.facts.params[<rule id>].<name>.
const ParamsFact = "params"

// StackFact is what ConfigureStack said about the stack being deployed:
// input.facts.pulumi_stack.{stack, project, organization, dry_run}. It is
// absent when no stack is being deployed (pulumi policy analyze --file).
const StackFact = "pulumi_stack"

// stackInfo is what ConfigureStack told about the stack being analysed.
type stackInfo struct {
	Stack, Project, Organization string
	DryRun                       bool
}

// Server implements pulumirpc.AnalyzerServer.
type Server struct {
	pulumirpc.UnimplementedAnalyzerServer

	pack    *Pack
	engine  *policies.Engine
	rules   []policies.Rule           // selected by kscan.yaml, sorted by id
	schemas map[string]map[string]any // rule id -> JSON schema properties of its params
	version string
	loadErr error

	mu       sync.Mutex
	levels   map[string]string         // rule id -> enforcement level
	params   map[string]map[string]any // rule id -> parameter values
	stack    stackInfo
	reported map[string]bool // findings Analyze reported, so AnalyzeStack does not repeat them

	cancelCtx context.Context
	cancel    context.CancelFunc

	// evalHook runs inside every evaluation (tests inject failures).
	evalHook func()
}

// New loads the pack's rules: the built-in ones plus every .rego in the
// pack directory and its policyDirs. A load error (a Rego syntax error with
// its file:line) does not stop the server: every call then fails with it, so
// the Pulumi CLI shows the message when it starts the pack.
func New(ctx context.Context, pack *Pack, toolVersion string) *Server {
	s := &Server{
		pack:     pack,
		version:  pluginVersion(toolVersion),
		schemas:  map[string]map[string]any{},
		levels:   map[string]string{},
		params:   map[string]map[string]any{},
		reported: map[string]bool{},
	}
	s.cancelCtx, s.cancel = context.WithCancel(context.Background())
	var dirs []string
	if pack.Dir != "" {
		dirs = append(dirs, pack.Dir)
		for _, d := range pack.Settings.PolicyDirs {
			if !filepath.IsAbs(d) {
				d = filepath.Join(pack.Dir, d)
			}
			dirs = append(dirs, d)
		}
	}
	e, err := policies.Load(ctx, policies.Options{PolicyDirs: dirs, Timeout: pack.Settings.CallTimeout()})
	if err != nil {
		s.loadErr = fmt.Errorf("kscan policy pack %q: %w", pack.Name, err)
		return s
	}
	s.engine = e
	rules, err := scan.SelectRules(e.Rules(), pack.Settings.Rules, pack.Settings.SkipRules, pack.Settings.Severities)
	if err != nil {
		s.loadErr = fmt.Errorf("kscan policy pack %q: %s: %w", pack.Name, SettingsFile, err)
		return s
	}
	s.rules = rules
	for _, r := range rules {
		s.schemas[r.ID] = ruleParams(e, r)
		s.levels[r.ID] = pack.Settings.Enforcement.LevelFor(r.ID, r.Severity, r.Aliases...)
		s.params[r.ID] = s.defaultParams(r.ID)
	}
	for id := range pack.Settings.Params {
		if _, ok := s.schemas[id]; !ok {
			s.loadErr = fmt.Errorf("kscan policy pack %q: %s: params for %q, which is not a selected rule", pack.Name, SettingsFile, id)
		}
	}
	return s
}

// LoadError is the error every call fails with, if the pack did not load.
func (s *Server) LoadError() error { return s.loadErr }

// Stop aborts running evaluations.
func (s *Server) Stop() { s.cancel() }

// ruleParams reads a rule's parameters from its METADATA: custom.params is
// a map of parameter name to JSON schema (with "default").
func ruleParams(e *policies.Engine, r policies.Rule) map[string]any {
	m := e.Compiler().Modules[r.File]
	if m == nil {
		return map[string]any{}
	}
	for _, a := range m.Annotations {
		if a.Scope != "package" {
			continue
		}
		if p, ok := a.Custom["params"].(map[string]any); ok {
			// A JSON round trip turns YAML's types into the plain ones gRPC structs accept.
			if v, ok := jsonPlain(p).(map[string]any); ok {
				return v
			}
		}
	}
	return map[string]any{}
}

func (s *Server) defaultParams(id string) map[string]any {
	out := map[string]any{}
	for name, sch := range s.schemas[id] {
		if m, ok := sch.(map[string]any); ok {
			if d, ok := m["default"]; ok {
				out[name] = d
			}
		}
	}
	for k, v := range s.pack.Settings.Params[id] {
		out[k] = jsonPlain(v)
	}
	return out
}

func jsonPlain(v any) any {
	b, err := json.Marshal(v)
	if err != nil {
		return nil
	}
	var out any
	if err := json.Unmarshal(b, &out); err != nil {
		return nil
	}
	return out
}

// pluginVersion makes kscan's version a semantic version, as the engine
// parses it: a git description ("747b0b4-dirty") becomes a pre-release.
func pluginVersion(v string) string {
	v = strings.TrimPrefix(v, "v")
	if _, err := semver.ParseTolerant(v); err == nil && v != "" {
		return v
	}
	pre := strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r == '-' || r == '.' {
			return r
		}
		return '-'
	}, v)
	if _, err := semver.Parse("0.0.0-" + pre); err == nil && pre != "" {
		return "0.0.0-" + pre
	}
	return "0.0.0-dev"
}

func (s *Server) failIfNotLoaded() error {
	if s.loadErr != nil {
		return status.Error(codes.FailedPrecondition, s.loadErr.Error())
	}
	return nil
}

// Handshake implements pulumirpc.AnalyzerServer.
func (s *Server) Handshake(context.Context, *pulumirpc.AnalyzerHandshakeRequest) (*pulumirpc.AnalyzerHandshakeResponse, error) {
	if err := s.failIfNotLoaded(); err != nil {
		return nil, err
	}
	return &pulumirpc.AnalyzerHandshakeResponse{}, nil
}

// ConfigureStack keeps the stack's identity for messages.
func (s *Server) ConfigureStack(_ context.Context, req *pulumirpc.AnalyzerStackConfigureRequest) (*pulumirpc.AnalyzerStackConfigureResponse, error) {
	s.mu.Lock()
	s.stack.Stack, s.stack.Project, s.stack.Organization, s.stack.DryRun = req.GetStack(), req.GetProject(), req.GetOrganization(), req.GetDryRun()
	s.mu.Unlock()
	return &pulumirpc.AnalyzerStackConfigureResponse{}, nil
}

func (s *Server) stackInfo() stackInfo {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stack
}

// stackLabel names the stack and operation in messages.
func (s *Server) stackLabel() string {
	st := s.stackInfo()
	if st.Stack == "" {
		return ""
	}
	name := st.Stack
	if st.Project != "" {
		name = st.Project + "/" + name
	}
	if st.Organization != "" {
		name = st.Organization + "/" + name
	}
	op := "update"
	if st.DryRun {
		op = "preview"
	}
	return fmt.Sprintf("stack %s (%s)", name, op)
}

// GetPluginInfo reports kscan's version.
func (s *Server) GetPluginInfo(context.Context, *emptypb.Empty) (*pulumirpc.PluginInfo, error) {
	return &pulumirpc.PluginInfo{Version: s.version}, nil
}

// Cancel aborts running and future evaluations.
func (s *Server) Cancel(context.Context, *emptypb.Empty) (*emptypb.Empty, error) {
	s.cancel()
	return &emptypb.Empty{}, nil
}

// GetAnalyzerInfo describes one policy per selected rule.
func (s *Server) GetAnalyzerInfo(context.Context, *emptypb.Empty) (*pulumirpc.AnalyzerInfo, error) {
	if err := s.failIfNotLoaded(); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	info := &pulumirpc.AnalyzerInfo{
		Name:           s.pack.Name,
		DisplayName:    s.pack.Name,
		Version:        s.pack.Version,
		SupportsConfig: true,
		Description:    s.pack.Description,
		InitialConfig:  map[string]*pulumirpc.PolicyConfig{},
		Provider:       "kubernetes",
		Repository:     "https://github.com/kscan-io/kscan",
	}
	if info.Description == "" {
		info.Description = "kscan rules as a Pulumi policy pack"
	}
	for _, r := range s.rules {
		schema, err := structpb.NewStruct(s.schemas[r.ID])
		if err != nil {
			return nil, status.Errorf(codes.Internal, "rule %s: params schema: %v", r.ID, err)
		}
		props, err := structpb.NewStruct(s.params[r.ID])
		if err != nil {
			return nil, status.Errorf(codes.Internal, "rule %s: params: %v", r.ID, err)
		}
		pt := pulumirpc.PolicyType_POLICY_TYPE_RESOURCE
		if stackScoped(r) {
			pt = pulumirpc.PolicyType_POLICY_TYPE_STACK
		}
		fw, tags := frameworkOf(r.Frameworks)
		info.Policies = append(info.Policies, &pulumirpc.PolicyInfo{
			Name:             r.ID,
			DisplayName:      r.Title,
			Description:      r.Description,
			Message:          r.Title,
			EnforcementLevel: levelToRPC(s.levels[r.ID]),
			ConfigSchema:     &pulumirpc.PolicyConfigSchema{Properties: schema},
			PolicyType:       pt,
			Severity:         severityToRPC(r.Severity),
			Framework:        fw,
			Tags:             tags,
			RemediationSteps: r.Remediation,
			Url:              helpURI(r),
		})
		info.InitialConfig[r.ID] = &pulumirpc.PolicyConfig{EnforcementLevel: levelToRPC(s.levels[r.ID]), Properties: props}
	}
	return info, nil
}

// frameworkOf picks the first framework (by name) as the policy's framework
// and lists every control as a tag ("cis:5.2.6").
func frameworkOf(fws map[string][]string) (*pulumirpc.PolicyComplianceFramework, []string) {
	if len(fws) == 0 {
		return nil, nil
	}
	names := slices.Sorted(maps.Keys(fws))
	var tags []string
	for _, n := range names {
		for _, c := range fws[n] {
			tags = append(tags, n+":"+c)
		}
	}
	first := names[0]
	return &pulumirpc.PolicyComplianceFramework{
		Name:          first,
		Reference:     strings.Join(fws[first], ", "),
		Specification: strings.Join(fws[first], ", "),
	}, tags
}

func levelToRPC(l string) pulumirpc.EnforcementLevel {
	switch l {
	case "mandatory":
		return pulumirpc.EnforcementLevel_MANDATORY
	case "disabled":
		return pulumirpc.EnforcementLevel_DISABLED
	case "remediate":
		return pulumirpc.EnforcementLevel_REMEDIATE
	}
	return pulumirpc.EnforcementLevel_ADVISORY
}

func levelFromRPC(l pulumirpc.EnforcementLevel) (string, error) {
	switch l {
	case pulumirpc.EnforcementLevel_ADVISORY:
		return "advisory", nil
	case pulumirpc.EnforcementLevel_MANDATORY:
		return "mandatory", nil
	case pulumirpc.EnforcementLevel_DISABLED:
		return "disabled", nil
	case pulumirpc.EnforcementLevel_REMEDIATE:
		return "remediate", nil
	}
	return "", fmt.Errorf("unknown enforcement level %v", l)
}

// severityToRPC maps kscan severities; Pulumi has no "info", so it is low.
func severityToRPC(s string) pulumirpc.PolicySeverity {
	switch s {
	case finding.Critical:
		return pulumirpc.PolicySeverity_POLICY_SEVERITY_CRITICAL
	case finding.High:
		return pulumirpc.PolicySeverity_POLICY_SEVERITY_HIGH
	case finding.Medium:
		return pulumirpc.PolicySeverity_POLICY_SEVERITY_MEDIUM
	case finding.Low, finding.Info:
		return pulumirpc.PolicySeverity_POLICY_SEVERITY_LOW
	}
	return pulumirpc.PolicySeverity_POLICY_SEVERITY_UNSPECIFIED
}

// Configure sets each policy's enforcement level and parameters. "all"
// sets every policy's level first; a named policy's entry wins.
func (s *Server) Configure(_ context.Context, req *pulumirpc.ConfigureAnalyzerRequest) (*emptypb.Empty, error) {
	if err := s.failIfNotLoaded(); err != nil {
		return nil, err
	}
	cfg := req.GetPolicyConfig()
	levels := map[string]string{}
	params := map[string]map[string]any{}
	s.mu.Lock()
	defer s.mu.Unlock()
	for id, l := range s.levels {
		levels[id] = l
	}
	for id, p := range s.params {
		params[id] = p
	}
	if all, ok := cfg["all"]; ok {
		l, err := levelFromRPC(all.GetEnforcementLevel())
		if err != nil {
			return nil, status.Errorf(codes.InvalidArgument, "all: %v", err)
		}
		for id := range levels {
			levels[id] = l
		}
	}
	var errs []string
	for _, id := range slices.Sorted(maps.Keys(cfg)) {
		if id == "all" {
			continue
		}
		if _, ok := s.schemas[id]; !ok {
			errs = append(errs, fmt.Sprintf("%q is not a policy of this pack", id))
			continue
		}
		c := cfg[id]
		l, err := levelFromRPC(c.GetEnforcementLevel())
		if err != nil {
			errs = append(errs, fmt.Sprintf("%s: %v", id, err))
			continue
		}
		levels[id] = l
		p := map[string]any{}
		for k, v := range s.defaultParams(id) {
			p[k] = v
		}
		for k, v := range c.GetProperties().AsMap() {
			if k == "enforcementLevel" {
				continue
			}
			if _, declared := s.schemas[id][k]; !declared {
				errs = append(errs, fmt.Sprintf("%s: unknown parameter %q", id, k))
				continue
			}
			p[k] = v
		}
		params[id] = p
	}
	if len(errs) > 0 {
		return nil, status.Error(codes.InvalidArgument, strings.Join(errs, "; "))
	}
	s.levels, s.params = levels, params
	return &emptypb.Empty{}, nil
}

// resourceInput is one resource of a call, as the state collector reads it.
type resourceInput struct {
	urn, typ, parent, provider string
	props                      map[string]any
	deps                       []string
	outputs                    bool // props are outputs (AnalyzeStack), else inputs
}

func unmarshal(s *structpb.Struct) (resource.PropertyMap, error) {
	return plugin.UnmarshalProperties(s, plugin.MarshalOptions{KeepUnknowns: true, KeepSecrets: true, KeepResources: true, KeepOutputValues: true, SkipInternalKeys: true})
}

// Analyze judges one resource's inputs with the resource-scoped rules.
func (s *Server) Analyze(ctx context.Context, req *pulumirpc.AnalyzeRequest) (*pulumirpc.AnalyzeResponse, error) {
	if err := s.failIfNotLoaded(); err != nil {
		return nil, err
	}
	props, err := unmarshal(req.GetProperties())
	if err != nil {
		return nil, status.Errorf(codes.InvalidArgument, "%s: properties: %v", req.GetUrn(), err)
	}
	in := resourceInput{urn: req.GetUrn(), typ: req.GetType(), props: plainProps(props)}
	if p := req.GetProvider(); p != nil {
		in.provider = p.GetUrn()
	}
	if o := req.GetOptions(); o != nil {
		in.parent = o.GetParent()
	}
	return s.evaluate(ctx, []resourceInput{in}, false)
}

// AnalyzeStack judges the whole stack with every rule, including those that
// join resources (a Service and the Deployments it selects, bindings and
// roles, IRSA and IAM roles). Findings Analyze already reported are not
// repeated.
func (s *Server) AnalyzeStack(ctx context.Context, req *pulumirpc.AnalyzeStackRequest) (*pulumirpc.AnalyzeResponse, error) {
	if err := s.failIfNotLoaded(); err != nil {
		return nil, err
	}
	list := make([]resourceInput, 0, len(req.GetResources()))
	for _, r := range req.GetResources() {
		props, err := unmarshal(r.GetProperties())
		if err != nil {
			return nil, status.Errorf(codes.InvalidArgument, "%s: properties: %v", r.GetUrn(), err)
		}
		in := resourceInput{urn: r.GetUrn(), typ: r.GetType(), parent: r.GetParent(), props: plainProps(props), deps: r.GetDependencies(), outputs: true}
		if p := r.GetProvider(); p != nil {
			in.provider = p.GetUrn()
		}
		list = append(list, in)
	}
	return s.evaluate(ctx, list, true)
}

// preview is the resources of one call as the scan's one collector:
// normalised with the state collector's own code and, in a probing round
// (probe >= 0), every unknown value replaced by that round's probe value.
type preview struct {
	list  []resourceInput
	probe int
}

// previewOf collects the resources as they are.
func previewOf(list []resourceInput) preview { return preview{list: list, probe: -1} }

func (preview) Name() string { return string(graph.SourcePulumiPreview) }

func (p preview) Collect(_ context.Context, g *graph.Graph) error {
	addResources(p.list, g)
	if p.probe >= 0 {
		for _, n := range g.Nodes() {
			if len(unknownPaths(n)) > 0 {
				n.Object, _ = substituteUnknown(n.Object, kindType(n.Object), p.probe).(map[string]any)
			}
		}
	}
	return nil
}

// addResources normalises resources with the state collector's own code.
func addResources(list []resourceInput, g *graph.Graph) {
	res := make([]apitype.ResourceV3, 0, len(list))
	for _, r := range list {
		rv := apitype.ResourceV3{
			URN:      resource.URN(r.urn),
			Type:     tokens.Type(r.typ),
			Custom:   true,
			Parent:   resource.URN(r.parent),
			Provider: r.provider,
		}
		if r.outputs {
			rv.Outputs = r.props
		} else {
			rv.Inputs = r.props
		}
		for _, d := range r.deps {
			rv.Dependencies = append(rv.Dependencies, resource.URN(d))
		}
		res = append(res, rv)
	}
	pulumi.AddResources(res, graph.Source{Kind: graph.SourcePulumiPreview}, g)
}

// snapshot is the configuration one evaluation uses.
type snapshot struct {
	rules  []policies.Rule
	params map[string]any
	levels map[string]string
}

func (s *Server) snapshot(stackCall bool, only map[string]bool) snapshot {
	s.mu.Lock()
	defer s.mu.Unlock()
	sn := snapshot{params: map[string]any{}, levels: map[string]string{}}
	for _, r := range s.rules {
		l := s.levels[r.ID]
		if l == "disabled" {
			continue
		}
		if !stackCall && stackScoped(r) {
			continue
		}
		if only != nil && !only[r.ID] {
			continue
		}
		sn.rules = append(sn.rules, r)
		sn.levels[r.ID] = l
		if len(s.params[r.ID]) > 0 {
			sn.params[r.ID] = s.params[r.ID]
		}
	}
	return sn
}

// result is one evaluation's findings on the graph, with the nodes whose
// values are not all known.
type result struct {
	findings []finding.Finding
	ruleErrs []string               // messages of the rules that failed
	nodes    map[string]*graph.Node // by ID
}

// run evaluates rules on the call's resources, through the scan pipeline,
// within the call's time limit; a panic or time-out is an error, never a
// crash.
func (s *Server) run(ctx context.Context, src preview, sn snapshot) (res result, err error) {
	ctx, cancel := context.WithTimeout(ctx, s.pack.Settings.CallTimeout())
	defer cancel()
	stop := context.AfterFunc(s.cancelCtx, cancel)
	defer stop()
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("internal error: %v", p)
		}
	}()
	if s.cancelCtx.Err() != nil {
		return res, status.Error(codes.Canceled, "kscan analyzer: cancelled")
	}
	if s.evalHook != nil {
		s.evalHook()
	}
	facts := graph.Facts{ParamsFact: sn.params}
	if st := s.stackInfo(); st.Stack != "" {
		facts[StackFact] = map[string]any{"stack": st.Stack, "project": st.Project, "organization": st.Organization, "dry_run": st.DryRun}
	}
	r, err := scan.Run(ctx, scan.Options{
		Engine:     s.engine,
		Collectors: []scan.Collector{src},
		Selected:   sn.rules,
		Facts:      facts,
	})
	if err != nil {
		if s.cancelCtx.Err() != nil {
			return res, status.Error(codes.Canceled, "kscan analyzer: cancelled")
		}
		return res, err
	}
	res = result{findings: r.Report.Findings, nodes: map[string]*graph.Node{}}
	// Rules that failed; the graph's input problems are not the
	// analyzer's to report (the engine reads what Pulumi gave it).
	for _, n := range r.Report.Notifications {
		if n.RuleID != "" {
			res.ruleErrs = append(res.ruleErrs, n.Message)
		}
	}
	for _, n := range r.Graph.Nodes() {
		res.nodes[n.ID] = n
	}
	return res, nil
}

// findingUnknowns lists the unknown values of a finding's resource and of
// the resources it is joined to.
func findingUnknowns(f finding.Finding, nodes map[string]*graph.Node) []string {
	unknown := unknownPaths(nodes[f.Resource])
	for _, rel := range f.Related {
		unknown = append(unknown, unknownPaths(nodes[rel])...)
	}
	return unknown
}

func probeKey(f finding.Finding) string {
	return f.RuleID + "\x00" + f.Resource + "\x00" + f.Fingerprint
}

// Probing: an unknown value is replaced, in turn, by each round's value and
// the resources are evaluated again; a finding that disappears in any round
// depends on the unknown. Values follow the field's Go type where the
// object is a Kubernetes kind kscan knows (a string, a bool, a struct…), so
// that every round stays a valid object for the typed checks (Pod Security
// facts convert pod specs to corev1): round 0 removes the field; rounds 1
// and 2 put compliant-looking values (an image with a tag and digest, a
// hardened securityContext, requests and limits) with the bool false then
// true.
const probeRounds = 3

// probeString is a compliant-looking string: an image reference with a tag
// and a digest.
var probeString = "kscan-probe.example/unknown:1.0.0@sha256:" + strings.Repeat("0", 64)

// probeObject is a compliant-looking object for any struct-valued field.
func probeObject() map[string]any {
	return map[string]any{
		"privileged": false, "allowPrivilegeEscalation": false, "runAsNonRoot": true,
		"runAsUser": int64(10001), "runAsGroup": int64(10001), "readOnlyRootFilesystem": true,
		"capabilities":   map[string]any{"drop": []any{"ALL"}},
		"seccompProfile": map[string]any{"type": "RuntimeDefault"},
		"limits":         map[string]any{"cpu": "1", "memory": "1Gi"},
		"requests":       map[string]any{"cpu": "100m", "memory": "128Mi"},
	}
}

// probeValue is round's value for a field of type t (nil t: not known);
// ok is false when the field is to be removed.
func probeValue(round int, t reflect.Type) (v any, ok bool) {
	if round == 0 {
		return nil, false
	}
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == nil {
		if round == 1 {
			return probeString, true
		}
		return false, true
	}
	switch t.Kind() {
	case reflect.Bool:
		return round == 2, true
	case reflect.Int, reflect.Int32, reflect.Int64:
		return int64(10001), true
	case reflect.Slice:
		return []any{}, true
	case reflect.Struct, reflect.Map:
		if t.String() == "intstr.IntOrString" || t.String() == "resource.Quantity" {
			return "1", true
		}
		return probeObject(), true
	}
	return probeString, true
}

// probeUnknowns evaluates the resources once per round, every unknown value
// replaced, and returns the findings present in all evaluations.
func (s *Server) probeUnknowns(ctx context.Context, list []resourceInput, sn snapshot) (map[string]bool, error) {
	var survivors map[string]bool
	for round := 0; round < probeRounds; round++ {
		res, err := s.run(ctx, preview{list: list, probe: round}, sn)
		if err != nil {
			return nil, err
		}
		seen := map[string]bool{}
		for _, f := range res.findings {
			k := probeKey(f)
			if survivors == nil || survivors[k] {
				seen[k] = true
			}
		}
		survivors = seen
	}
	return survivors, nil
}

// kindType is the Go type of a Kubernetes object's kind, or nil.
func kindType(obj map[string]any) reflect.Type {
	apiVersion, _ := obj["apiVersion"].(string)
	kind, _ := obj["kind"].(string)
	gv, err := schema.ParseGroupVersion(apiVersion)
	if err != nil || kind == "" {
		return nil
	}
	o, err := scheme.Scheme.New(gv.WithKind(kind))
	if err != nil {
		return nil
	}
	return reflect.TypeOf(o)
}

// fieldType is the type of the JSON field key of a struct type t (nil when
// t or the field is not known; a map's values for a map type).
func fieldType(t reflect.Type, key string) reflect.Type {
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == nil {
		return nil
	}
	switch t.Kind() {
	case reflect.Map:
		return t.Elem()
	case reflect.Struct:
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			name, opts, _ := strings.Cut(f.Tag.Get("json"), ",")
			if name == key {
				return f.Type
			}
			if name == "" && strings.Contains(opts, "inline") || f.Anonymous && name == "" {
				if ft := fieldType(f.Type, key); ft != nil {
					return ft
				}
			}
		}
	}
	return nil
}

func elemType(t reflect.Type) reflect.Type {
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t != nil && (t.Kind() == reflect.Slice || t.Kind() == reflect.Array) {
		return t.Elem()
	}
	return nil
}

// substituteUnknown returns v (of Go type t, nil if not known) with every
// unknown marker replaced by the round's value or removed; v is not
// modified.
func substituteUnknown(v any, t reflect.Type, round int) any {
	switch x := v.(type) {
	case string:
		if x == normalize.UnknownMarker {
			p, _ := probeValue(round, t)
			return runtime.DeepCopyJSONValue(p)
		}
		return x
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			ft := fieldType(t, k)
			if s, ok := e.(string); ok && s == normalize.UnknownMarker {
				p, keep := probeValue(round, ft)
				if keep {
					out[k] = runtime.DeepCopyJSONValue(p)
				}
				continue
			}
			out[k] = substituteUnknown(e, ft, round)
		}
		return out
	case []any:
		et := elemType(t)
		out := make([]any, 0, len(x))
		for _, e := range x {
			if s, ok := e.(string); ok && s == normalize.UnknownMarker {
				p, keep := probeValue(round, et)
				if keep {
					out = append(out, runtime.DeepCopyJSONValue(p))
				}
				continue
			}
			out = append(out, substituteUnknown(e, et, round))
		}
		return out
	}
	return v
}

// unknownPaths lists a node's values that are not known yet.
func unknownPaths(n *graph.Node) []string {
	if n == nil {
		return nil
	}
	p, _ := n.Attrs[normalize.AttrPulumi].(map[string]any)
	list, _ := p["unknown_paths"].([]any)
	out := make([]string, 0, len(list))
	for _, x := range list {
		if s, ok := x.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

func (s *Server) evaluate(ctx context.Context, list []resourceInput, stackCall bool) (*pulumirpc.AnalyzeResponse, error) {
	sn := s.snapshot(stackCall, nil)
	resp := &pulumirpc.AnalyzeResponse{}
	if len(sn.rules) == 0 {
		return resp, nil
	}
	defaultURN := ""
	if !stackCall && len(list) == 1 {
		defaultURN = list[0].urn
	}
	res, err := s.run(ctx, previewOf(list), sn)
	if err != nil {
		if status.Code(err) == codes.Canceled {
			return nil, err
		}
		resp.Diagnostics = append(resp.Diagnostics, s.errorDiagnostic(defaultURN, err.Error()))
		return resp, nil
	}
	byRule := map[string]policies.Rule{}
	for _, r := range sn.rules {
		byRule[r.ID] = r
	}
	notApplicable := map[string][]string{}
	fired := map[string]bool{}
	// A finding about a resource (or one it is joined to) whose values are
	// partly unknown stands only if it does not depend on them: it must
	// survive every probe value put in their place (see probes). One that
	// does depend on them is not judged now; AnalyzeStack judges it again
	// once the values are known.
	var survivors map[string]bool
	for _, f := range res.findings {
		if len(findingUnknowns(f, res.nodes)) > 0 {
			if survivors, err = s.probeUnknowns(ctx, list, sn); err != nil {
				if status.Code(err) == codes.Canceled {
					return nil, err
				}
				survivors = map[string]bool{} // cannot tell: judge nothing that has unknowns
			}
			break
		}
	}
	for _, f := range res.findings {
		r := byRule[f.RuleID]
		unknown := findingUnknowns(f, res.nodes)
		urn := f.Location.URN
		if urn == "" {
			urn = defaultURN
		}
		if len(unknown) > 0 && !survivors[probeKey(f)] {
			notApplicable[f.RuleID] = append(notApplicable[f.RuleID], fmt.Sprintf("%s: not judged, values not known yet (%s)", urn, strings.Join(unknown, ", ")))
			continue
		}
		key := f.RuleID + "\x00" + urn + "\x00" + f.Fingerprint
		s.mu.Lock()
		dup := stackCall && !stackScoped(r) && s.reported[key]
		if !stackCall {
			s.reported[key] = true
		}
		s.mu.Unlock()
		if dup {
			continue
		}
		fired[f.RuleID] = true
		resp.Diagnostics = append(resp.Diagnostics, &pulumirpc.AnalyzeDiagnostic{
			PolicyName:        f.RuleID,
			PolicyPackName:    s.pack.Name,
			PolicyPackVersion: s.pack.Version,
			Description:       r.Description,
			Message:           message(f, r),
			EnforcementLevel:  diagLevel(sn.levels[f.RuleID]),
			Urn:               urn,
			Severity:          severityToRPC(f.Severity),
		})
	}
	for _, msg := range res.ruleErrs {
		resp.Diagnostics = append(resp.Diagnostics, s.errorDiagnostic(defaultURN, msg))
	}
	for _, id := range slices.Sorted(maps.Keys(notApplicable)) {
		if fired[id] {
			continue
		}
		reasons := notApplicable[id]
		sort.Strings(reasons)
		resp.NotApplicable = append(resp.NotApplicable, &pulumirpc.PolicyNotApplicable{PolicyName: id, Reason: strings.Join(reasons, "; ")})
	}
	return resp, nil
}

// stackScoped rules need other resources (METADATA custom.scope other than
// "resource"): they run in AnalyzeStack only.
func stackScoped(r policies.Rule) bool { return r.Scope != "resource" }

// diagLevel: a remediate-level rule that still fires is a violation the
// engine treats as mandatory.
func diagLevel(l string) pulumirpc.EnforcementLevel {
	if l == "remediate" {
		return pulumirpc.EnforcementLevel_MANDATORY
	}
	return levelToRPC(l)
}

// helpURI is the rule's documentation page; a pack's own rules have none
// on kscan's site.
func helpURI(r policies.Rule) string {
	if r.Custom {
		return ""
	}
	return r.HelpURI
}

// message is the finding with its remediation, as the CLI prints it.
func message(f finding.Finding, r policies.Rule) string {
	msg := f.Message
	if f.Remediation != "" {
		msg += "\nRemediation: " + f.Remediation
	}
	if u := helpURI(r); u != "" {
		msg += "\nSee " + u
	}
	return msg
}

func (s *Server) errorDiagnostic(urn, msg string) *pulumirpc.AnalyzeDiagnostic {
	if l := s.stackLabel(); l != "" {
		msg = l + ": " + msg
	}
	return &pulumirpc.AnalyzeDiagnostic{
		PolicyName:        ErrorPolicy,
		PolicyPackName:    s.pack.Name,
		PolicyPackVersion: s.pack.Version,
		Description:       "kscan could not evaluate its rules",
		Message:           "kscan failed: " + msg,
		EnforcementLevel:  pulumirpc.EnforcementLevel_MANDATORY,
		Urn:               urn,
		Severity:          pulumirpc.PolicySeverity_POLICY_SEVERITY_HIGH,
	}
}

// ExecutableDir is the directory of the running binary ("" if unknown).
func ExecutableDir() string {
	p, err := os.Executable()
	if err != nil {
		return ""
	}
	if r, err := filepath.EvalSymlinks(p); err == nil {
		p = r
	}
	return filepath.Dir(p)
}
