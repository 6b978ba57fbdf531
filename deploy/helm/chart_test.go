// Package chart_test tests the Helm chart deploy/helm/kscan: lint and
// values.schema.json through the Helm SDK, rendering with several value
// sets, equivalence with the Kustomize base deploy/base (and deploy/crds),
// a server-side dry-run apply on a real API server, and kscan's own rules on
// the rendered chart.
package chart_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"helm.sh/helm/v3/pkg/action"
	"helm.sh/helm/v3/pkg/chart/loader"
	"helm.sh/helm/v3/pkg/chartutil"
	"helm.sh/helm/v3/pkg/lint"
	"helm.sh/helm/v3/pkg/lint/support"
	authorizationv1 "k8s.io/api/authorization/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/kubernetes"
	"sigs.k8s.io/yaml"

	kscanhelm "github.com/kscan-io/kscan/collectors/helm"
	"github.com/kscan-io/kscan/collectors/kube/kubetest"
	"github.com/kscan-io/kscan/finding"
	"github.com/kscan-io/kscan/graph"
	"github.com/kscan-io/kscan/internal/repotest"
	"github.com/kscan-io/kscan/internal/testenv"
	"github.com/kscan-io/kscan/policies"
	"github.com/kscan-io/kscan/policies/frameworks"
	"github.com/kscan-io/kscan/scan"
	"github.com/kscan-io/kscan/suppress"
)

func TestMain(m *testing.M) {
	code := m.Run()
	testenv.StopAll()
	os.Exit(code)
}

const digest = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

func chartDir() string { return filepath.Join(repotest.Root(), "deploy", "helm", "kscan") }

func kubeVersion(t *testing.T) *chartutil.KubeVersion {
	t.Helper()
	kv, err := chartutil.ParseKubeVersion(kscanhelm.DefaultKubeVersion)
	if err != nil {
		t.Fatal(err)
	}
	return kv
}

// values parses a values document (YAML, as a -f file).
func values(t *testing.T, doc string) map[string]any {
	t.Helper()
	v := map[string]any{}
	if err := yaml.Unmarshal([]byte(doc), &v); err != nil {
		t.Fatalf("values %q: %v", doc, err)
	}
	return v
}

// render renders the chart as `helm template RELEASE deploy/helm/kscan -n NS
// -f VALUES` does (action.Install, client only), values.schema.json included.
func render(t *testing.T, release, ns string, vals map[string]any) ([]*unstructured.Unstructured, error) {
	t.Helper()
	ch, err := loader.Load(chartDir())
	if err != nil {
		t.Fatal(err)
	}
	inst := action.NewInstall(&action.Configuration{Log: func(string, ...any) {}})
	inst.ClientOnly, inst.DryRun, inst.Replace, inst.IncludeCRDs = true, true, true, true
	inst.ReleaseName, inst.Namespace = release, ns
	inst.KubeVersion = kubeVersion(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	rel, err := inst.RunWithContext(ctx, ch, vals)
	if err != nil {
		return nil, err
	}
	objs, err := kubetest.DecodeBytes([]byte(rel.Manifest))
	if err != nil {
		return nil, fmt.Errorf("rendered manifest: %w", err)
	}
	return objs, nil
}

func mustRender(t *testing.T, release, ns string, vals map[string]any) []*unstructured.Unstructured {
	t.Helper()
	objs, err := render(t, release, ns, vals)
	if err != nil {
		t.Fatalf("rendering: %v", err)
	}
	return objs
}

// appVersion reads Chart.yaml (not the rendered output) for expectations.
func appVersion(t *testing.T) string {
	t.Helper()
	ch, err := loader.Load(chartDir())
	if err != nil {
		t.Fatal(err)
	}
	return ch.Metadata.AppVersion
}

func TestLint(t *testing.T) {
	l := lint.AllWithKubeVersion(chartDir(), nil, "kscan", kubeVersion(t))
	for _, m := range l.Messages {
		t.Logf("lint: %s", m)
		// As helm lint --strict: warnings fail too.
		if m.Severity >= support.WarningSev {
			t.Errorf("helm lint: %s", m)
		}
	}
	// The schema is part of lint: a value of the wrong type is an error.
	bad := lint.AllWithKubeVersion(chartDir(), values(t, "schedule: 5"), "kscan", kubeVersion(t))
	if bad.HighestSeverity != support.ErrorSev {
		t.Fatalf("helm lint with schedule: 5 passed: %v", bad.Messages)
	}
	found := false
	for _, m := range bad.Messages {
		found = found || strings.Contains(m.Err.Error(), "schedule")
	}
	if !found {
		t.Errorf("lint error does not name the value: %v", bad.Messages)
	}
}

func TestSchemaRejectsBadValues(t *testing.T) {
	cases := []struct{ name, doc, mention string }{
		{"schedule not a string", "schedule: 5", "schedule"},
		{"unknown top-level key", "schedul: '* * * * *'", "schedul"},
		{"image tag a number", "image: {tag: 1}", "tag"},
		{"short digest", "image: {digest: 'sha256:abc'}", "digest"},
		{"digest with tag syntax", "image: {digest: 'v1'}", "digest"},
		{"pull policy", "image: {pullPolicy: Sometimes}", "pullPolicy"},
		{"report api", "report: {api: wgpolicy}", "api"},
		{"severity", "scan: {severity: [urgent]}", "severity"},
		{"severity not a list", "scan: {severity: high}", "severity"},
		{"framework", "scan: {framework: cis}", "framework"},
		{"rules with a comma", "scan: {rules: ['k8s/*,rbac/*']}", "rules"},
		{"timeout not a duration", "scan: {timeout: 25}", "timeout"},
		{"default waivers a string", "scan: {defaultWaivers: 'no'}", "defaultWaivers"},
		{"crds install a string", "crds: {install: 'yes'}", "install"},
		{"extraArgs a string", "extraArgs: --kube-qps=5", "extraArgs"},
		{"extraArgs numbers", "extraArgs: [5]", "extraArgs"},
		{"resources not a quantity", "resources: {limits: {memory: lots}}", "memory"},
		{"resources wrong shape", "resources: 1Gi", "resources"},
		{"nodeSelector value not a string", "nodeSelector: {disk: 1}", "disk"},
		{"tolerations not a list", "tolerations: {key: x}", "tolerations"},
		{"affinity not an object", "affinity: [x]", "affinity"},
		{"podAnnotations value not a string", "podAnnotations: {a: true}", "podAnnotations"},
		{"negative history", "failedJobsHistoryLimit: -1", "failedJobsHistoryLimit"},
		{"job deadline a string", "job: {activeDeadlineSeconds: '1800'}", "activeDeadlineSeconds"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := render(t, "kscan", "kscan", values(t, c.doc))
			if err == nil {
				t.Fatalf("%s rendered", c.doc)
			}
			if !strings.Contains(err.Error(), "values don't meet the specifications of the schema") {
				t.Fatalf("%s: not a schema error: %v", c.doc, err)
			}
			if !strings.Contains(err.Error(), c.mention) {
				t.Errorf("%s: error does not name %q: %v", c.doc, c.mention, err)
			}
		})
	}
}

// The schema's enums are kscan's: every framework and severity, nothing else.
func TestSchemaEnumsMatchKscan(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(chartDir(), "values.schema.json"))
	if err != nil {
		t.Fatal(err)
	}
	var s struct {
		Properties struct {
			Scan struct {
				Properties struct {
					Framework struct{ Enum []string }
					Severity  struct{ Items struct{ Enum []string } }
				}
			}
		}
	}
	if err := json.Unmarshal(data, &s); err != nil {
		t.Fatal(err)
	}
	p := s.Properties.Scan.Properties
	want := append([]string{""}, frameworks.IDs()...)
	if got := p.Framework.Enum; !slices.Equal(sorted(got), sorted(want)) {
		t.Errorf("scan.framework enum %v, kscan's frameworks %v", got, want)
	}
	var sevs []string
	for _, s := range []string{finding.Critical, finding.High, finding.Medium, finding.Low, finding.Info} {
		if _, err := finding.ParseSeverity(s); err == nil {
			sevs = append(sevs, s)
		}
	}
	if got := p.Severity.Items.Enum; !slices.Equal(sorted(got), sorted(sevs)) {
		t.Errorf("scan.severity enum %v, kscan's severities %v", got, sevs)
	}
}

func sorted(s []string) []string {
	s = slices.Clone(s)
	sort.Strings(s)
	return s
}

// byKind indexes objects by kind, then name.
func byKind(objs []*unstructured.Unstructured) map[string]map[string]*unstructured.Unstructured {
	out := map[string]map[string]*unstructured.Unstructured{}
	for _, o := range objs {
		if out[o.GetKind()] == nil {
			out[o.GetKind()] = map[string]*unstructured.Unstructured{}
		}
		out[o.GetKind()][o.GetName()] = o
	}
	return out
}

func kinds(objs []*unstructured.Unstructured) []string {
	var out []string
	for _, o := range objs {
		out = append(out, o.GetKind())
	}
	sort.Strings(out)
	return out
}

func cronJob(t *testing.T, objs []*unstructured.Unstructured) *unstructured.Unstructured {
	t.Helper()
	var found *unstructured.Unstructured
	for _, o := range objs {
		if o.GetKind() == "CronJob" {
			if found != nil {
				t.Fatal("two CronJobs")
			}
			found = o
		}
	}
	if found == nil {
		t.Fatal("no CronJob")
	}
	return found
}

func podSpec(t *testing.T, objs []*unstructured.Unstructured) map[string]any {
	t.Helper()
	ps, ok, _ := unstructured.NestedMap(cronJob(t, objs).Object, "spec", "jobTemplate", "spec", "template", "spec")
	if !ok {
		t.Fatal("CronJob without a pod spec")
	}
	return ps
}

func container(t *testing.T, objs []*unstructured.Unstructured) map[string]any {
	t.Helper()
	cs, _ := podSpec(t, objs)["containers"].([]any)
	if len(cs) != 1 {
		t.Fatalf("%d containers", len(cs))
	}
	return cs[0].(map[string]any)
}

func args(t *testing.T, objs []*unstructured.Unstructured) []string {
	t.Helper()
	var out []string
	for _, a := range container(t, objs)["args"].([]any) {
		out = append(out, a.(string))
	}
	return out
}

// baseArgs are deploy/base's CronJob arguments.
func baseArgs(t *testing.T) []string {
	t.Helper()
	objs, err := kubetest.Kustomize(filepath.Join(repotest.Root(), "deploy", "base"))
	if err != nil {
		t.Fatal(err)
	}
	return args(t, objs)
}

// reportGroups are the API groups the ClusterRole lets kscan write.
func reportGroups(t *testing.T, objs []*unstructured.Unstructured) []string {
	t.Helper()
	var out []string
	for _, o := range objs {
		if o.GetKind() != "ClusterRole" {
			continue
		}
		rules, _, _ := unstructured.NestedSlice(o.Object, "rules")
		for _, r := range rules {
			rm := r.(map[string]any)
			verbs, _, _ := unstructured.NestedStringSlice(rm, "verbs")
			groups, _, _ := unstructured.NestedStringSlice(rm, "apiGroups")
			if slices.Contains(verbs, "create") {
				out = append(out, groups...)
			}
		}
	}
	sort.Strings(out)
	return out
}

// noSecrets fails when any rule of any role names secrets or a wildcard.
func noSecrets(t *testing.T, objs []*unstructured.Unstructured) {
	t.Helper()
	for _, o := range objs {
		if o.GetKind() != "ClusterRole" && o.GetKind() != "Role" {
			continue
		}
		rules, _, _ := unstructured.NestedSlice(o.Object, "rules")
		for _, r := range rules {
			rm := r.(map[string]any)
			for _, f := range []string{"resources", "verbs", "apiGroups"} {
				v, _, _ := unstructured.NestedStringSlice(rm, f)
				if slices.Contains(v, "*") || slices.Contains(v, "secrets") {
					t.Errorf("%s %s grants %s %v", o.GetKind(), o.GetName(), f, v)
				}
			}
		}
	}
}

func TestRender(t *testing.T) {
	crdKinds := []string{"CustomResourceDefinition", "CustomResourceDefinition", "CustomResourceDefinition", "CustomResourceDefinition"}
	core := []string{"ClusterRole", "ClusterRoleBinding", "CronJob", "NetworkPolicy", "Role", "RoleBinding", "ServiceAccount"}
	base := baseArgs(t)
	image := "ghcr.io/kscan-io/kscan:" + appVersion(t)
	cases := []struct {
		name, release, ns, doc string
		check                  func(t *testing.T, objs []*unstructured.Unstructured)
	}{
		{name: "defaults", doc: "", check: func(t *testing.T, objs []*unstructured.Unstructured) {
			if got, want := kinds(objs), sorted(append(slices.Clone(core), crdKinds...)); !slices.Equal(got, want) {
				t.Errorf("kinds %v, want %v", got, want)
			}
			for _, o := range objs {
				namespaced := !slices.Contains([]string{"ClusterRole", "ClusterRoleBinding", "CustomResourceDefinition"}, o.GetKind())
				if namespaced != (o.GetNamespace() == "kscan") {
					t.Errorf("%s %s in namespace %q", o.GetKind(), o.GetName(), o.GetNamespace())
				}
				if o.GetKind() == "CustomResourceDefinition" && o.GetAnnotations()["helm.sh/resource-policy"] != "keep" {
					t.Errorf("CRD %s is deleted on uninstall", o.GetName())
				}
			}
			if got := args(t, objs); !slices.Equal(got, base) {
				t.Errorf("args %q, deploy/base's %q", got, base)
			}
			if got := container(t, objs)["image"]; got != image {
				t.Errorf("image %v, want %s", got, image)
			}
			if got := reportGroups(t, objs); !slices.Equal(got, []string{"wgpolicyk8s.io"}) {
				t.Errorf("report groups %v", got)
			}
			noSecrets(t, objs)
		}},
		{name: "crds off", doc: "crds: {install: false}", check: func(t *testing.T, objs []*unstructured.Unstructured) {
			if got := kinds(objs); !slices.Equal(got, core) {
				t.Errorf("kinds %v, want %v", got, core)
			}
		}},
		{name: "crds not kept", doc: "crds: {keep: false}", check: func(t *testing.T, objs []*unstructured.Unstructured) {
			n := 0
			for _, o := range objs {
				if o.GetKind() == "CustomResourceDefinition" {
					n++
					if _, ok := o.GetAnnotations()["helm.sh/resource-policy"]; ok {
						t.Errorf("CRD %s kept", o.GetName())
					}
				}
			}
			if n != 4 {
				t.Errorf("%d CRDs", n)
			}
		}},
		{name: "openreports", doc: "report: {api: openreports}", check: func(t *testing.T, objs []*unstructured.Unstructured) {
			want := slices.Insert(slices.Clone(base), slices.Index(base, "--report=policyreport")+1, "--report-api=openreports")
			if got := args(t, objs); !slices.Equal(got, want) {
				t.Errorf("args %q, want %q", got, want)
			}
			if got := reportGroups(t, objs); !slices.Equal(got, []string{"openreports.io"}) {
				t.Errorf("report groups %v", got)
			}
			noSecrets(t, objs)
		}},
		{name: "custom", doc: `
schedule: "*/30 * * * *"
timeZone: Europe/Berlin
# null drops a default (Helm merges values with the chart's).
resources: {requests: {cpu: 250m, memory: 512Mi}, limits: {cpu: null, memory: 2Gi}}
extraArgs: ["--kube-qps=10", "--report-max-results=500"]
nodeSelector: {kubernetes.io/os: linux, pool: "system: #1"}
tolerations: [{key: dedicated, operator: Equal, value: security, effect: NoSchedule}]
affinity: {nodeAffinity: {requiredDuringSchedulingIgnoredDuringExecution: {nodeSelectorTerms: [{matchExpressions: [{key: kubernetes.io/arch, operator: In, values: [amd64, arm64]}]}]}}}
podAnnotations: {example.com/team: security}
podLabels: {team: security}
priorityClassName: low
scan:
  rules: ["k8s/*", "rbac/*"]
  skipRules: [k8s/image-not-pinned]
  severity: [critical, high]
  framework: cis-k8s
  defaultWaivers: false
  clusterName: "prod eu"
  timeout: 10m
snapshot: {enabled: false}
`, check: func(t *testing.T, objs []*unstructured.Unstructured) {
			cj := cronJob(t, objs)
			if s, _, _ := unstructured.NestedString(cj.Object, "spec", "schedule"); s != "*/30 * * * *" {
				t.Errorf("schedule %q", s)
			}
			if s, _, _ := unstructured.NestedString(cj.Object, "spec", "timeZone"); s != "Europe/Berlin" {
				t.Errorf("timeZone %q", s)
			}
			wantArgs := []string{}
			for _, a := range base {
				if a == "--timeout=25m" {
					a = "--timeout=10m"
				}
				wantArgs = append(wantArgs, a)
			}
			wantArgs = append(wantArgs, "--rules=k8s/*,rbac/*", "--skip-rules=k8s/image-not-pinned", "--severity=critical,high",
				"--framework=cis-k8s", "--no-default-waivers", "--cluster-name=prod eu", "--no-snapshot", "--kube-qps=10", "--report-max-results=500")
			if got := args(t, objs); !slices.Equal(got, wantArgs) {
				t.Errorf("args\n got %q\nwant %q", got, wantArgs)
			}
			c := container(t, objs)
			wantRes := map[string]any{"requests": map[string]any{"cpu": "250m", "memory": "512Mi"}, "limits": map[string]any{"memory": "2Gi"}}
			if !reflect.DeepEqual(c["resources"], wantRes) {
				t.Errorf("resources %v", c["resources"])
			}
			ps := podSpec(t, objs)
			if want := map[string]any{"kubernetes.io/os": "linux", "pool": "system: #1"}; !reflect.DeepEqual(ps["nodeSelector"], want) {
				t.Errorf("nodeSelector %v", ps["nodeSelector"])
			}
			want := []any{map[string]any{"key": "dedicated", "operator": "Equal", "value": "security", "effect": "NoSchedule"}}
			if !reflect.DeepEqual(ps["tolerations"], want) {
				t.Errorf("tolerations %v", ps["tolerations"])
			}
			if terms, _, _ := unstructured.NestedSlice(ps, "affinity", "nodeAffinity", "requiredDuringSchedulingIgnoredDuringExecution", "nodeSelectorTerms"); len(terms) != 1 {
				t.Errorf("affinity %v", ps["affinity"])
			}
			if ps["priorityClassName"] != "low" {
				t.Errorf("priorityClassName %v", ps["priorityClassName"])
			}
			meta, _, _ := unstructured.NestedMap(cj.Object, "spec", "jobTemplate", "spec", "template", "metadata")
			ann, _ := meta["annotations"].(map[string]any)
			if ann["example.com/team"] != "security" || ann["kscan.io/ignore"] != "k8s/sa-token-automount" || ann["kscan.io/ignore-reason"] == "" {
				t.Errorf("pod annotations %v", ann)
			}
			if l, _ := meta["labels"].(map[string]any); l["team"] != "security" || l["app.kubernetes.io/name"] != "kscan" {
				t.Errorf("pod labels %v", l)
			}
			k := byKind(objs)
			if len(k["Role"])+len(k["RoleBinding"]) != 0 {
				t.Errorf("snapshot off but Role/RoleBinding rendered")
			}
		}},
		{name: "digest", doc: "image: {digest: " + digest + ", repository: registry.example.com:5000/team/kscan, pullPolicy: Always}", check: func(t *testing.T, objs []*unstructured.Unstructured) {
			c := container(t, objs)
			if want := "registry.example.com:5000/team/kscan:" + appVersion(t) + "@" + digest; c["image"] != want {
				t.Errorf("image %v, want %s", c["image"], want)
			}
			if c["imagePullPolicy"] != "Always" {
				t.Errorf("imagePullPolicy %v", c["imagePullPolicy"])
			}
		}},
		{name: "another release and namespace", release: "prod", ns: "security", doc: "", check: func(t *testing.T, objs []*unstructured.Unstructured) {
			k := byKind(objs)
			for _, kind := range []string{"ServiceAccount", "ClusterRole", "ClusterRoleBinding", "CronJob"} {
				if k[kind]["prod-kscan"] == nil {
					t.Errorf("no %s prod-kscan: %v", kind, k[kind])
				}
			}
			role := k["Role"]["prod-kscan-snapshot"]
			if role == nil {
				t.Fatalf("no Role prod-kscan-snapshot: %v", k["Role"])
			}
			// kscan writes a ConfigMap of a fixed name in its namespace.
			if !strings.Contains(toJSON(t, role.Object["rules"]), `"resourceNames":["kscan-snapshot"]`) {
				t.Errorf("Role rules %s", toJSON(t, role.Object["rules"]))
			}
			for _, b := range []*unstructured.Unstructured{k["ClusterRoleBinding"]["prod-kscan"], k["RoleBinding"]["prod-kscan-snapshot"]} {
				subj, _, _ := unstructured.NestedSlice(b.Object, "subjects")
				if want := []any{map[string]any{"kind": "ServiceAccount", "name": "prod-kscan", "namespace": "security"}}; !reflect.DeepEqual(subj, want) {
					t.Errorf("%s subjects %v", b.GetKind(), subj)
				}
			}
			if ps := podSpec(t, objs); ps["serviceAccountName"] != "prod-kscan" {
				t.Errorf("serviceAccountName %v", ps["serviceAccountName"])
			}
			np := k["NetworkPolicy"]["prod-kscan-deny-ingress"]
			if np == nil {
				t.Fatalf("NetworkPolicies %v", k["NetworkPolicy"])
			}
			sel, _, _ := unstructured.NestedStringMap(np.Object, "spec", "podSelector", "matchLabels")
			meta, _, _ := unstructured.NestedStringMap(cronJob(t, objs).Object, "spec", "jobTemplate", "spec", "template", "metadata", "labels")
			if len(sel) == 0 {
				t.Errorf("NetworkPolicy selects every pod of the namespace")
			}
			for k, v := range sel {
				if meta[k] != v {
					t.Errorf("NetworkPolicy selector %v does not select the pods (%v)", sel, meta)
				}
			}
		}},
		{name: "existing service account, no network policy", doc: "serviceAccount: {create: false, name: scanner}\nnetworkPolicy: {enabled: false}", check: func(t *testing.T, objs []*unstructured.Unstructured) {
			k := byKind(objs)
			if len(k["ServiceAccount"])+len(k["NetworkPolicy"]) != 0 {
				t.Errorf("ServiceAccount or NetworkPolicy rendered: %v", kinds(objs))
			}
			if ps := podSpec(t, objs); ps["serviceAccountName"] != "scanner" {
				t.Errorf("serviceAccountName %v", ps["serviceAccountName"])
			}
			subj, _, _ := unstructured.NestedSlice(k["ClusterRoleBinding"]["kscan"].Object, "subjects")
			if !strings.Contains(toJSON(t, subj), `"name":"scanner"`) {
				t.Errorf("subjects %v", subj)
			}
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rel, ns := c.release, c.ns
			if rel == "" {
				rel, ns = "kscan", "kscan"
			}
			c.check(t, mustRender(t, rel, ns, values(t, c.doc)))
		})
	}
	t.Run("existing service account without a name", func(t *testing.T) {
		_, err := render(t, "kscan", "kscan", values(t, "serviceAccount: {create: false}"))
		if err == nil || !strings.Contains(err.Error(), "serviceAccount.name is required") {
			t.Fatalf("err = %v", err)
		}
	})
}

func toJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// The chart's CRDs are copies of deploy/crds (Helm cannot read outside the
// chart): the same files, byte for byte.
func TestCRDCopies(t *testing.T) {
	src, err := filepath.Glob(filepath.Join(repotest.Root(), "deploy", "crds", "*_*.yaml"))
	if err != nil || len(src) == 0 {
		t.Fatalf("deploy/crds: %v %v", src, err)
	}
	dst, _ := filepath.Glob(filepath.Join(chartDir(), "files", "crds", "*.yaml"))
	if len(dst) != len(src) {
		t.Errorf("chart has %d CRD files, deploy/crds %d", len(dst), len(src))
	}
	for _, s := range src {
		a, _ := os.ReadFile(s)
		b, err := os.ReadFile(filepath.Join(chartDir(), "files", "crds", filepath.Base(s)))
		if err != nil || string(a) != string(b) {
			t.Errorf("files/crds/%s differs from deploy/crds (cp deploy/crds/*_*.yaml deploy/helm/kscan/files/crds/): %v", filepath.Base(s), err)
		}
	}
}

// The Kustomize base and the chart with default values (release kscan in
// namespace kscan) render the same objects, except the documented
// differences (docs/live.md, "Helm chart"), normalised here:
//   - no Namespace object: Helm installs into the release namespace
//     (--create-namespace); the base's namespace carries the Pod Security
//     label, which the docs tell chart users to set;
//   - labels: the chart adds Helm's standard labels (the base's are kept);
//   - the NetworkPolicy is named kscan-deny-ingress and selects only the
//     release's pods, not every pod of a namespace that may be shared;
//   - the ClusterRole can write only the report API in use (report.api),
//     the base both;
//   - imagePullPolicy is explicit (IfNotPresent, the server's default for a
//     tagged image);
//   - the CRDs are annotated helm.sh/resource-policy: keep.
func TestKustomizeEquivalence(t *testing.T) {
	var base []*unstructured.Unstructured
	for _, d := range []string{"crds", "base"} {
		objs, err := kubetest.Kustomize(filepath.Join(repotest.Root(), "deploy", d))
		if err != nil {
			t.Fatal(err)
		}
		base = append(base, objs...)
	}
	chart := mustRender(t, "kscan", "kscan", nil)

	key := func(o *unstructured.Unstructured) string {
		return o.GetKind() + " " + o.GetNamespace() + "/" + o.GetName()
	}
	// normalise drops what legitimately differs, after checking that the
	// chart keeps what the base sets.
	normalise := func(o *unstructured.Unstructured, fromChart bool, counterpart *unstructured.Unstructured) *unstructured.Unstructured {
		o = o.DeepCopy()
		if fromChart && counterpart != nil {
			for k, v := range counterpart.GetLabels() {
				if o.GetLabels()[k] != v {
					t.Errorf("%s: label %s=%q, base %q", key(o), k, o.GetLabels()[k], v)
				}
			}
			if o.GetKind() == "CronJob" {
				cl, _, _ := unstructured.NestedStringMap(o.Object, "spec", "jobTemplate", "spec", "template", "metadata", "labels")
				bl, _, _ := unstructured.NestedStringMap(counterpart.Object, "spec", "jobTemplate", "spec", "template", "metadata", "labels")
				for k, v := range bl {
					if cl[k] != v {
						t.Errorf("pod label %s=%q, base %q", k, cl[k], v)
					}
				}
			}
		}
		unstructured.RemoveNestedField(o.Object, "metadata", "labels")
		switch o.GetKind() {
		case "CronJob":
			unstructured.RemoveNestedField(o.Object, "spec", "jobTemplate", "spec", "template", "metadata", "labels")
			cs, _, _ := unstructured.NestedSlice(o.Object, "spec", "jobTemplate", "spec", "template", "spec", "containers")
			for _, c := range cs {
				cm := c.(map[string]any)
				if fromChart {
					if cm["imagePullPolicy"] != "IfNotPresent" {
						t.Errorf("imagePullPolicy %v", cm["imagePullPolicy"])
					}
					delete(cm, "imagePullPolicy")
				}
			}
			_ = unstructured.SetNestedSlice(o.Object, cs, "spec", "jobTemplate", "spec", "template", "spec", "containers")
		case "NetworkPolicy":
			o.SetName("deny-ingress")
			if fromChart {
				sel, _, _ := unstructured.NestedStringMap(o.Object, "spec", "podSelector", "matchLabels")
				if sel["app.kubernetes.io/name"] != "kscan" || sel["app.kubernetes.io/instance"] != "kscan" {
					t.Errorf("NetworkPolicy selector %v", sel)
				}
			}
			unstructured.RemoveNestedField(o.Object, "spec", "podSelector")
		case "ClusterRole":
			if !fromChart {
				rules, _, _ := unstructured.NestedSlice(o.Object, "rules")
				rules = slices.DeleteFunc(rules, func(r any) bool {
					g, _, _ := unstructured.NestedStringSlice(r.(map[string]any), "apiGroups")
					return slices.Equal(g, []string{"openreports.io"})
				})
				_ = unstructured.SetNestedSlice(o.Object, rules, "rules")
			}
		case "CustomResourceDefinition":
			if fromChart {
				if o.GetAnnotations()["helm.sh/resource-policy"] != "keep" {
					t.Errorf("CRD %s not kept", o.GetName())
				}
				ann := o.GetAnnotations()
				delete(ann, "helm.sh/resource-policy")
				if len(ann) == 0 {
					ann = nil
				}
				o.SetAnnotations(ann)
			}
		}
		return o
	}
	chartBy := map[string]*unstructured.Unstructured{}
	for _, o := range chart {
		k := key(o)
		if o.GetKind() == "NetworkPolicy" && o.GetName() == "kscan-deny-ingress" {
			k = "NetworkPolicy kscan/deny-ingress"
		}
		if chartBy[k] != nil {
			t.Errorf("chart renders %s twice", k)
		}
		chartBy[k] = o
	}
	seen := map[string]bool{}
	for _, b := range base {
		k := key(b)
		if b.GetKind() == "Namespace" {
			// Documented difference: the release namespace.
			if b.GetName() != "kscan" {
				t.Errorf("base namespace %s", b.GetName())
			}
			continue
		}
		c := chartBy[k]
		if c == nil {
			t.Errorf("the chart does not render %s", k)
			continue
		}
		seen[k] = true
		nb, nc := normalise(b, false, nil), normalise(c, true, b)
		if !reflect.DeepEqual(nb.Object, nc.Object) {
			yb, _ := yaml.Marshal(nb.Object)
			yc, _ := yaml.Marshal(nc.Object)
			t.Errorf("%s differs\n--- deploy/\n%s\n--- chart\n%s", k, yb, yc)
		}
	}
	for k := range chartBy {
		if !seen[k] {
			t.Errorf("the chart renders %s, which deploy/ has not", k)
		}
	}
	if len(seen) < 11 {
		t.Errorf("compared %d objects", len(seen))
	}
}

// Every value set applies (server-side dry-run) to a real API server.
func TestServerSideDryRun(t *testing.T) {
	srv := testenv.APIServerFor(t)
	a, err := kubetest.NewApplier(srv.Config)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct{ name, release, ns, doc string }{
		{"defaults", "kscan", "kscan", ""},
		{"openreports, custom", "kscan", "kscan", `
report: {api: openreports}
schedule: "*/30 * * * *"
timeZone: Europe/Berlin
resources: {requests: {cpu: 250m, memory: 512Mi}, limits: {memory: 2Gi}}
extraArgs: ["--kube-qps=10"]
nodeSelector: {kubernetes.io/os: linux}
tolerations: [{key: dedicated, operator: Equal, value: security, effect: NoSchedule}]
affinity: {nodeAffinity: {requiredDuringSchedulingIgnoredDuringExecution: {nodeSelectorTerms: [{matchExpressions: [{key: kubernetes.io/arch, operator: In, values: [amd64, arm64]}]}]}}}
podAnnotations: {example.com/team: security}
scan: {rules: ["k8s/*"], severity: [high], framework: nsa, defaultWaivers: false}
snapshot: {enabled: false}
`},
		{"digest, crds off", "kscan", "kscan", "image: {digest: " + digest + "}\ncrds: {install: false}"},
		{"another release", "prod", "security", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			objs := mustRender(t, c.release, c.ns, values(t, c.doc))
			// helm install --create-namespace; labelled as docs/live.md says.
			ns := &unstructured.Unstructured{Object: map[string]any{
				"apiVersion": "v1", "kind": "Namespace",
				"metadata": map[string]any{"name": c.ns, "labels": map[string]any{"pod-security.kubernetes.io/enforce": "restricted"}},
			}}
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			if err := a.Apply(ctx, []*unstructured.Unstructured{ns}, false); err != nil {
				t.Fatal(err)
			}
			if err := a.Apply(ctx, objs, true); err != nil {
				t.Fatalf("server-side dry-run: %v", err)
			}
		})
	}
}

// kscan's own rules pass on the rendered chart at the default gate (high),
// scanned as `kscan scan deploy/helm/kscan` would: the one inherent finding
// is waived in the chart with a reason, and k8s/image-not-pinned goes away
// with image.digest.
func TestOwnRules(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	engine, err := policies.Load(ctx, policies.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name     string
		set      []string
		unpinned bool
	}{
		{"defaults", nil, true},
		{"digest", []string{"image.digest=" + digest}, false},
		{"openreports", []string{"report.api=openreports"}, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			h := kscanhelm.New(kscanhelm.Options{Release: "kscan", Namespace: "kscan", Set: c.set, BaseDir: repotest.Root()})
			res, err := scan.Run(ctx, scan.Options{
				Engine: engine,
				Collectors: []scan.Collector{scan.CollectorFunc{N: "helm", F: func(ctx context.Context, g *graph.Graph) error {
					return h.CollectDir(ctx, chartDir(), g)
				}}},
				PostProcessors: []scan.PostProcessor{suppress.New(suppress.Options{})},
			})
			if err != nil {
				t.Fatal(err)
			}
			rep := res.Report
			for _, n := range rep.Notifications {
				if n.Level == "error" {
					t.Errorf("scan notification: %s", n.Message)
				}
			}
			if rep.Resources < 7 {
				t.Fatalf("scanned %d resources", rep.Resources)
			}
			var unpinned bool
			for _, f := range rep.Findings {
				switch {
				case f.RuleID == "k8s/sa-token-automount":
					if f.Suppression == nil || f.Suppression.Kind != "inSource" || f.Suppression.Justification == "" {
						t.Errorf("k8s/sa-token-automount not waived in the chart with a reason: %+v", f.Suppression)
					}
				case f.RuleID == "k8s/image-not-pinned" && f.Suppression == nil:
					unpinned = true
				default:
					t.Errorf("kscan's chart fails %s (%s) on %s: %s", f.RuleID, f.Severity, f.Location, f.Message)
				}
			}
			// k8s/sa-token-automount does not fire on a pod that asks for
			// the token of a bound ServiceAccount; should it fire, it must be
			// waived (checked above). The CronJob was scanned:
			cronJobs := 0
			for _, n := range res.Graph.Nodes() {
				if strings.HasSuffix(n.Type, "/CronJob") {
					cronJobs++
				}
			}
			if cronJobs != 1 {
				t.Errorf("the scan saw %d CronJobs", cronJobs)
			}
			if unpinned != c.unpinned {
				t.Errorf("k8s/image-not-pinned fired: %v, want %v", unpinned, c.unpinned)
			}
			if code := scan.ExitCode(rep, finding.High, false); code != scan.ExitClean {
				t.Errorf("exit code %d at the default gate", code)
			}
		})
	}
}

// Installed for real, the chart's ServiceAccount can read what kscan lists
// and write its reports and snapshot, and nothing of Secrets
// (SubjectAccessReview on the real API server's RBAC authorizer).
func TestInstalledPermissions(t *testing.T) {
	srv := testenv.APIServerFor(t)
	a, err := kubetest.NewApplier(srv.Config)
	if err != nil {
		t.Fatal(err)
	}
	cs, err := kubernetes.NewForConfig(srv.Config)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ release, api, other string }{
		{"perm", "policyreport", "openreports"},
		{"perm-or", "openreports", "policyreport"},
	} {
		t.Run(c.api, func(t *testing.T) {
			ns := c.release
			kubetest.EnsureNamespace(t, srv.Config, ns)
			objs := mustRender(t, c.release, ns, values(t, "report: {api: "+c.api+"}"))
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			if err := a.Apply(ctx, objs, false); err != nil {
				t.Fatal(err)
			}
			user := "system:serviceaccount:" + ns + ":" + c.release + "-kscan"
			groups := map[string]string{"policyreport": "wgpolicyk8s.io", "openreports": "openreports.io"}
			plural := map[string]string{"policyreport": "policyreports", "openreports": "reports"}
			for _, q := range []struct {
				attr  authorizationv1.ResourceAttributes
				allow bool
			}{
				{authorizationv1.ResourceAttributes{Verb: "list", Resource: "pods"}, true},
				{authorizationv1.ResourceAttributes{Verb: "list", Group: "rbac.authorization.k8s.io", Resource: "clusterrolebindings"}, true},
				{authorizationv1.ResourceAttributes{Verb: "list", Resource: "secrets"}, false},
				{authorizationv1.ResourceAttributes{Verb: "get", Resource: "secrets", Namespace: ns, Name: "any"}, false},
				{authorizationv1.ResourceAttributes{Verb: "watch", Resource: "secrets", Namespace: "kube-system"}, false},
				{authorizationv1.ResourceAttributes{Verb: "create", Group: groups[c.api], Resource: plural[c.api], Namespace: "default"}, true},
				{authorizationv1.ResourceAttributes{Verb: "create", Group: groups[c.other], Resource: plural[c.other], Namespace: "default"}, false},
				{authorizationv1.ResourceAttributes{Verb: "update", Resource: "configmaps", Namespace: ns, Name: "kscan-snapshot"}, true},
				{authorizationv1.ResourceAttributes{Verb: "get", Resource: "configmaps", Namespace: ns, Name: "other"}, false},
				{authorizationv1.ResourceAttributes{Verb: "get", Resource: "configmaps", Namespace: "default", Name: "kscan-snapshot"}, false},
			} {
				sar, err := cs.AuthorizationV1().SubjectAccessReviews().Create(ctx, &authorizationv1.SubjectAccessReview{
					Spec: authorizationv1.SubjectAccessReviewSpec{User: user, Groups: []string{"system:serviceaccounts", "system:serviceaccounts:" + ns, "system:authenticated"}, ResourceAttributes: &q.attr},
				}, metav1.CreateOptions{})
				if err != nil {
					t.Fatal(err)
				}
				if sar.Status.Allowed != q.allow {
					t.Errorf("%s %s %s.%s %s/%s: allowed %v, want %v", user, q.attr.Verb, q.attr.Resource, q.attr.Group, q.attr.Namespace, q.attr.Name, sar.Status.Allowed, q.allow)
				}
			}
		})
	}
}

// kscan scan deploy/helm/kscan --helm-set … checks the schema too: a bad
// value is an input error naming the chart, not a render of the defaults.
func TestScanRejectsBadValues(t *testing.T) {
	g := graph.New()
	h := kscanhelm.New(kscanhelm.Options{Release: "kscan", Namespace: "kscan", Set: []string{"report.api=wgpolicy"}, BaseDir: repotest.Root()})
	if err := h.CollectDir(context.Background(), chartDir(), g); err != nil {
		t.Fatal(err)
	}
	errs := g.Errors()
	if len(errs) != 1 || !strings.Contains(errs[0].Message, "deploy/helm/kscan") || !strings.Contains(errs[0].Message, "report") {
		t.Fatalf("input errors %+v", errs)
	}
	if n := len(g.Nodes()); n != 0 {
		t.Errorf("%d objects rendered from bad values", n)
	}
}

// The CronJob's arguments, as the chart renders them, work with the chart's
// RBAC: kscan (built from this tree) runs them as the release's
// ServiceAccount against the real API server, with --in-cluster replaced by
// a kubeconfig holding that ServiceAccount's token. Nothing is forbidden,
// the reports of the chosen API and the snapshot are written.
func TestArgsRunAsServiceAccount(t *testing.T) {
	srv := testenv.APIServerFor(t)
	bin := filepath.Join(t.TempDir(), "kscan")
	build := exec.Command("go", "build", "-buildvcs=false", "-o", bin, "./cmd/kscan")
	build.Dir = repotest.Root()
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building kscan: %v\n%s", err, out)
	}
	a, err := kubetest.NewApplier(srv.Config)
	if err != nil {
		t.Fatal(err)
	}
	cs, err := kubernetes.NewForConfig(srv.Config)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name, release, doc string
		api                string
		snapshot           bool
	}{
		{"defaults", "run", "", "policyreport", true},
		{"openreports, selected rules, no snapshot", "run-or", "report: {api: openreports}\nscan: {rules: ['k8s/*'], skipRules: [k8s/image-tag-latest], severity: [medium, low], framework: nsa, defaultWaivers: false, clusterName: prod-eu}\nsnapshot: {enabled: false}\nextraArgs: [--kube-qps=20]", "openreports", false},
	} {
		t.Run(c.name, func(t *testing.T) {
			ns := c.release
			kubetest.EnsureNamespace(t, srv.Config, ns)
			objs := mustRender(t, c.release, ns, values(t, c.doc))
			ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
			defer cancel()
			if err := a.Apply(ctx, objs, false); err != nil {
				t.Fatal(err)
			}
			sa := kubetest.ServiceAccountConfig(t, srv.Config, ns, c.release+"-kscan")
			dir := t.TempDir()
			kubeconfig := filepath.Join(dir, "kubeconfig")
			if err := os.WriteFile(kubeconfig, []byte(testenv.KubeconfigFor(srv.URL, "kscan", sa.BearerToken)), 0o600); err != nil {
				t.Fatal(err)
			}
			out := filepath.Join(dir, "kscan.json")
			var argv []string
			for _, x := range args(t, objs) {
				switch x {
				case "scan":
					continue
				case "--in-cluster":
					// In a pod the snapshot namespace is the pod's.
					argv = append(argv, "--kubeconfig="+kubeconfig, "--snapshot-namespace="+ns)
				case "--output=/tmp/kscan.json":
					argv = append(argv, "--output="+out)
				default:
					argv = append(argv, x)
				}
			}
			cmd := exec.CommandContext(ctx, bin, append([]string{"scan"}, argv...)...)
			cmd.Env = []string{"HOME=" + dir, "PATH=" + os.Getenv("PATH")}
			var stderr strings.Builder
			cmd.Stderr = &stderr
			if err := cmd.Run(); err != nil {
				t.Fatalf("kscan scan %q: %v\n%s", argv, err, stderr.String())
			}
			data, err := os.ReadFile(out)
			if err != nil {
				t.Fatal(err)
			}
			var rep struct {
				Complete bool
				Findings []struct {
					RuleID   string
					Location struct{ Cluster string }
				}
				Errors, Warnings []struct{ Level, Message string }
			}
			if err := json.Unmarshal(data, &rep); err != nil {
				t.Fatal(err)
			}
			if !rep.Complete {
				t.Error("the scan is incomplete")
			}
			for _, n := range rep.Errors {
				t.Errorf("scan error: %s", n.Message)
			}
			for _, n := range rep.Warnings {
				if strings.Contains(n.Message, "forbidden") || strings.Contains(n.Message, "cannot") {
					t.Errorf("scan warning: %s", n.Message)
				} else {
					t.Logf("scan warning: %s", n.Message)
				}
			}
			if len(rep.Findings) == 0 {
				t.Error("no findings: the scan saw nothing (not even the chart's unpinned image)")
			}
			// --cluster-name names the cluster only with --in-cluster (here it
			// is just accepted): locations carry the kubeconfig's context.
			wantCluster := "testenv"
			for _, f := range rep.Findings {
				if strings.Contains(c.doc, "rules:") && (!strings.HasPrefix(f.RuleID, "k8s/") || f.RuleID == "k8s/image-tag-latest") {
					t.Errorf("--rules k8s/* --skip-rules k8s/image-tag-latest ran %s", f.RuleID)
				}
				if f.Location.Cluster != wantCluster {
					t.Errorf("%s located in cluster %q, want %q", f.RuleID, f.Location.Cluster, wantCluster)
				}
			}
			// The reports of the chosen API, in the release namespace.
			group, kind := "wgpolicyk8s.io", "policyreports"
			if c.api == "openreports" {
				group, kind = "openreports.io", "reports"
			}
			var list struct{ Items []json.RawMessage }
			path := "/apis/" + group + "/" + map[string]string{"wgpolicyk8s.io": "v1alpha2", "openreports.io": "v1alpha1"}[group] + "/namespaces/" + ns + "/" + kind
			body, err := cs.RESTClient().Get().AbsPath(path).DoRaw(ctx)
			if err != nil {
				t.Fatalf("GET %s: %v", path, err)
			}
			if err := json.Unmarshal(body, &list); err != nil {
				t.Fatal(err)
			}
			if len(list.Items) != 1 {
				t.Errorf("%s: %d report objects, want 1", path, len(list.Items))
			}
			_, err = cs.CoreV1().ConfigMaps(ns).Get(ctx, "kscan-snapshot", metav1.GetOptions{})
			if got := err == nil; got != c.snapshot {
				t.Errorf("snapshot ConfigMap in %s: %v (err %v), want %v", ns, got, err, c.snapshot)
			}
		})
	}
}
