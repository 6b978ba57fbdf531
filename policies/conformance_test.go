package policies

import (
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/kscan-io/kscan/collectors/manifest"
	"github.com/kscan-io/kscan/graph"
	"github.com/kscan-io/kscan/internal/repotest"
)

// The conformance test runs third-party fixtures (copied unchanged into
// testdata/conformance, see its README.md) through the real pipeline and
// compares the verdict of the mapped kscan rule with the upstream tool's.
// Where kscan's rule contract deliberately differs, the fixture is listed in
// expectedDisagreements with the reason; any other disagreement fails, and so
// does a listed disagreement that no longer happens. docs/conformance.md
// explains the mapping and every disagreement.

// polarisChecks maps a Polaris check (test/checks/<check>/) to the kscan
// rules that cover it: a fixture "has a finding" when any of them fires.
var polarisChecks = map[string][]string{
	"automountServiceAccountToken":        {"k8s/sa-token-automount"},
	"clusterrolePodExecAttach":            {"rbac/pod-exec"},
	"clusterrolebindingClusterAdmin":      {"rbac/cluster-admin-binding"},
	"clusterrolebindingPodExecAttach":     {"rbac/pod-exec"},
	"cpuRequestsMissing":                  {"k8s/missing-resource-requests"},
	"dangerousCapabilities":               {"k8s/dangerous-capabilities"},
	"hostIPCSet":                          {"k8s/host-namespace"},
	"hostNetworkSet":                      {"k8s/host-namespace"},
	"hostPIDSet":                          {"k8s/host-namespace"},
	"hostPathSet":                         {"k8s/host-path"},
	"linuxHardening":                      {"k8s/seccomp-unconfined"},
	"memoryLimitsMissing":                 {"k8s/missing-resource-limits"},
	"memoryRequestsMissing":               {"k8s/missing-resource-requests"},
	"missingNetworkPolicy":                {"k8s/namespace-without-networkpolicy"},
	"notReadOnlyRootFilesystem":           {"k8s/writable-root-fs"},
	"privilegeEscalationAllowed":          {"k8s/privilege-escalation"},
	"readinessProbeMissing":               {"k8s/missing-probes"},
	"rolePodExecAttach":                   {"rbac/pod-exec"},
	"rolebindingClusterAdminClusterRole":  {"rbac/cluster-admin-binding"},
	"rolebindingClusterAdminRole":         {"rbac/wildcard-rule"},
	"rolebindingClusterRolePodExecAttach": {"rbac/pod-exec"},
	"rolebindingRolePodExecAttach":        {"rbac/pod-exec"},
	"runAsPrivileged":                     {"k8s/privileged-container"},
	"runAsRootAllowed":                    {"k8s/run-as-root"},
	"sensitiveContainerEnvVar":            {"k8s/secret-in-env"},
	"tagNotSpecified":                     {"k8s/image-tag-latest"},
	"tlsSettingsMissing":                  {"k8s/ingress-without-tls"},
}

// kubescapeRules maps a kubescape regolibrary rule (rules/<rule>/test/) to
// the kscan rules that cover it.
var kubescapeRules = map[string][]string{
	"alert-any-hostpath":                   {"k8s/host-path"},
	"alert-rw-hostpath":                    {"k8s/host-path"},
	"automount-service-account":            {"k8s/sa-token-automount"},
	"cluster-admin-role":                   {"rbac/cluster-admin-binding"},
	"containers-mounting-docker-socket":    {"k8s/host-path"},
	"exposure-to-internet":                 {"k8s/internet-exposed", "k8s/nodeport-service"},
	"host-ipc-privileges":                  {"k8s/host-namespace"},
	"host-network-access":                  {"k8s/host-namespace"},
	"host-pid-privileges":                  {"k8s/host-namespace"},
	"image-not-pinned-to-digest":           {"k8s/image-not-pinned", "k8s/image-tag-latest"},
	"immutable-container-filesystem":       {"k8s/writable-root-fs"},
	"insecure-capabilities":                {"k8s/dangerous-capabilities"},
	"non-root-containers":                  {"k8s/run-as-root"},
	"resources-cpu-limit-and-request":      {"k8s/missing-resource-requests"},
	"resources-memory-limit-and-request":   {"k8s/missing-resource-limits", "k8s/missing-resource-requests"},
	"resources-memory-limits":              {"k8s/missing-resource-limits"},
	"rule-allow-privilege-escalation":      {"k8s/privilege-escalation"},
	"rule-can-bind-escalate":               {"rbac/privilege-escalation"},
	"rule-can-impersonate-users-groups-v1": {"rbac/privilege-escalation"},
	"rule-can-list-get-secrets-v1":         {"rbac/secrets-read"},
	"rule-list-all-cluster-admins-v1":      {"rbac/wildcard-rule"},
	"rule-privileged-container":            {"k8s/privileged-container"},
}

// disagreement is a set of fixtures whose upstream verdict kscan's rule
// contract deliberately does not follow. Fixtures are ids or globs (matched
// with path.Match) of the form "polaris:<check>/<file>" or
// "kubescape:<rule>/<case>".
type disagreement struct {
	fixtures []string
	reason   string
	// coveredBy, when set, is another kscan rule that must fire on the
	// fixture instead (the topic is covered, by a different rule).
	coveredBy string
}

var expectedDisagreements = []disagreement{
	// Polaris: RBAC.
	{fixtures: []string{"polaris:clusterrolePodExecAttach/failure.*"},
		reason: "the fixture declares a ClusterRole and no binding: rbac/pod-exec reports bound roles only (a role nobody holds grants nothing)"},
	{fixtures: []string{"polaris:rolePodExecAttach/failure.*"},
		reason: "the fixture declares a Role and no binding: rbac/pod-exec reports bound roles only (a role nobody holds grants nothing)"},
	{fixtures: []string{"polaris:*binding*PodExecAttach/failure.get_*"},
		reason: "Polaris also counts get on pods/exec and pods/attach (older API servers authorized exec over WebSocket with get); the rbac/pod-exec contract is create"},
	{fixtures: []string{"polaris:*binding*PodExecAttach/failure.binding_points_to_missing_ref.yaml"},
		reason: "the binding references a role that no input declares and that is not a built-in ClusterRole: kscan judges the permissions it can see and does not assume the worst"},
	{fixtures: []string{"polaris:*binding*PodExecAttach/success.gce_calico_binding.yaml"},
		reason: "Polaris exempts the binding gce:podsecuritypolicy:calico-sa by name; rbac/pod-exec reports every bound role that allows create on pods/exec, whatever the binding is called"},
	{fixtures: []string{"polaris:*binding*PodExecAttach/success.system_prefix_binding.yaml"},
		reason: "Polaris exempts bindings named system:*; rbac/pod-exec reports every bound role that allows create on pods/exec, whatever the binding is called (anyone who can create bindings can pick that name)"},
	{fixtures: []string{"polaris:clusterrolebindingPodExecAttach/success.defaultclusterrolebinding_*"},
		reason: "Polaris exempts the default bindings (cluster-admin, system:controller:*) by name; here they grant a user a declared role that allows create on pods/exec, which rbac/pod-exec reports"},
	{fixtures: []string{"polaris:rolebindingRolePodExecAttach/success.role_binding_cluster_role_binding.yaml"},
		reason: "the RoleBinding grants a ClusterRole with *: this Polaris check looks at Roles only (another check covers ClusterRoles), rbac/pod-exec at every bound role"},
	{fixtures: []string{"polaris:clusterrolebindingClusterAdmin/failure.all_verbs*.yaml", "polaris:rolebindingClusterAdminClusterRole/failure.all_verbs*.yaml"}, coveredBy: "rbac/wildcard-rule",
		reason: "Polaris treats a role with * apiGroups and resources as cluster-admin; rbac/cluster-admin-binding is about the cluster-admin ClusterRole by name, and rbac/wildcard-rule reports the wildcard role"},
	{fixtures: []string{"polaris:clusterrolebindingClusterAdmin/failure.default_clusteradmin_clusterrole.yaml", "polaris:rolebindingClusterAdminClusterRole/failure.default_clusteradmin_clusterrole.yaml"}, coveredBy: "rbac/modified-builtin",
		reason: "the fixture declares a ClusterRole named cluster-admin that only allows get on deployments: kscan judges roles by content, so the binding grants no cluster-admin equivalent; rbac/modified-builtin reports the changed built-in name"},
	{fixtures: []string{"polaris:*ClusterAdmin*/success.gce_calico_binding.yaml", "polaris:*ClusterAdmin*/success.system_prefix_binding.yaml"},
		reason: "Polaris exempts bindings by name (gce:podsecuritypolicy:calico-sa, system:*); kscan recognises Kubernetes' own bindings by name and content only, and reports a role with * everywhere as cluster-admin equivalent whoever binds it"},
	{fixtures: []string{"polaris:rolebindingClusterAdminRole/success.explicit_*"},
		reason: "Polaris only flags roles with * in apiGroups and resources together (cluster-admin equivalent); rbac/wildcard-rule flags a * in any of verbs, resources or apiGroups"},
	// Polaris: pods.
	{fixtures: []string{"polaris:linuxHardening/success.apparmor_2_containers.yaml"},
		reason: "linuxHardening accepts AppArmor instead of seccomp; k8s/seccomp-unconfined is about seccomp only"},
	{fixtures: []string{"polaris:linuxHardening/success.selinux_*"},
		reason: "linuxHardening accepts SELinux options instead of seccomp; k8s/seccomp-unconfined is about seccomp only"},
	{fixtures: []string{"polaris:linuxHardening/success.drop_capabilities.yaml"},
		reason: "linuxHardening accepts dropping all capabilities instead of seccomp; k8s/seccomp-unconfined is about seccomp only"},
	{fixtures: []string{"polaris:linuxHardening/success.seccomp_profile_unconfined_for_pod_but_set_for_container.yaml"},
		reason: "the k8s/seccomp-unconfined contract reports Unconfined anywhere: the pod-level Unconfined applies to every container that does not override it, including ones added later (ephemeral debug containers)"},
	{fixtures: []string{"polaris:memoryRequestsMissing/success.yaml"},
		reason: "the container requests memory but no CPU: Polaris checks the two separately, k8s/missing-resource-requests wants both (cpuRequestsMissing/failure.yaml is the same case and agrees)"},
	{fixtures: []string{"polaris:missingNetworkPolicy/failure.*"},
		reason: "Polaris judges each pod against the policies that select it and wants both Ingress and Egress rules; k8s/namespace-without-networkpolicy is per namespace, and each fixture has a NetworkPolicy in the pod's namespace"},
	{fixtures: []string{"polaris:readinessProbeMissing/failure.yaml"},
		reason: "the fixture is a bare Pod: k8s/missing-probes judges long-running workloads only (Deployment, StatefulSet, DaemonSet, ReplicaSet, ReplicationController)"},
	// kubescape.
	{fixtures: []string{"kubescape:image-not-pinned-to-digest/pod-exempted-repo"},
		reason: "kubescape exempts the repository through imageDigestExemptRepositories in data.json; kscan has no such setting (suppress the finding instead)"},
	{fixtures: []string{"kubescape:image-not-pinned-to-digest/pod-*-short", "kubescape:image-not-pinned-to-digest/pod-short-digest", "kubescape:image-not-pinned-to-digest/pod-sha256-uppercase", "kubescape:image-not-pinned-to-digest/pod-blake3-invalid"},
		reason: "an image with no tag and a malformed digest: k8s/image-tag-latest takes any digest as pinning and k8s/image-not-pinned applies to explicit tags only (their contracts); the runtime refuses such a reference at pull time"},
	{fixtures: []string{"kubescape:insecure-capabilities/pod", "kubescape:insecure-capabilities/pod-initcontainer", "kubescape:insecure-capabilities/workloads"},
		reason: "the containers add SETPCAP, MAC_OVERRIDE or AUDIT_CONTROL: kubescape's insecureCapabilities list is wider than the k8s/dangerous-capabilities set (ALL, SYS_ADMIN, NET_ADMIN, SYS_PTRACE, SYS_MODULE, DAC_READ_SEARCH, BPF)"},
	{fixtures: []string{"kubescape:resources-cpu-limit-and-request/pod-only-limits"},
		reason: "both containers set CPU and memory requests and lack only a CPU limit: kscan has no CPU-limit rule (CPU limits throttle and are often left out on purpose)"},
	{fixtures: []string{"kubescape:resources-memory-limit-and-request/workload-exceeded"},
		reason: "requests and limits are set but outside the range configured in data.json; kscan checks that they are set, not their values"},
	{fixtures: []string{"kubescape:rule-privileged-container/cronjob", "kubescape:rule-privileged-container/cronjob-initcontainer", "kubescape:rule-privileged-container/pod", "kubescape:rule-privileged-container/pod-ephemeralcontainer"}, coveredBy: "k8s/dangerous-capabilities",
		reason: "kubescape counts an added SYS_ADMIN capability as privileged; k8s/privileged-container is securityContext.privileged: true only, and k8s/dangerous-capabilities reports the capability"},
}

// conformanceCase is one fixture: its id, the files scanned together, the
// upstream verdict and the kscan rules mapped to it.
type conformanceCase struct {
	id          string
	files       []string
	wantFinding bool
	rules       []string
}

func polarisCases(t *testing.T, dir string) []conformanceCase {
	var out []conformanceCase
	for _, check := range slices.Sorted(maps.Keys(polarisChecks)) {
		folder := filepath.Join(dir, "polaris", "test", "checks", check)
		entries, err := os.ReadDir(folder)
		if err != nil {
			t.Errorf("polaris check %s: %v", check, err)
			continue
		}
		for _, en := range entries {
			name := en.Name()
			if en.IsDir() || name == "check.yaml" || strings.HasPrefix(name, "mutated") || !isManifestName(name) {
				continue
			}
			out = append(out, conformanceCase{
				id:          "polaris:" + check + "/" + name,
				files:       []string{filepath.Join(folder, name)},
				wantFinding: strings.Contains(name, "failure"),
				rules:       polarisChecks[check],
			})
		}
	}
	return out
}

// kubescapeCases lists rules/<rule>/test/<case>/ with input/ scanned as one
// set of objects. Cases without an input/ folder are returned in skipped:
// upstream scans nothing for them, so they verify nothing.
func kubescapeCases(t *testing.T, dir string) (cases []conformanceCase, skipped []string) {
	for _, rule := range slices.Sorted(maps.Keys(kubescapeRules)) {
		testDir := filepath.Join(dir, "kubescape-regolibrary", "rules", rule, "test")
		entries, err := os.ReadDir(testDir)
		if err != nil {
			t.Errorf("kubescape rule %s: %v", rule, err)
			continue
		}
		for _, en := range entries {
			if !en.IsDir() {
				continue
			}
			id := "kubescape:" + rule + "/" + en.Name()
			caseDir := filepath.Join(testDir, en.Name())
			raw, err := os.ReadFile(filepath.Join(caseDir, "expected.json"))
			if err != nil {
				t.Errorf("%s: %v", id, err)
				continue
			}
			var expected []json.RawMessage
			if err := json.Unmarshal(raw, &expected); err != nil {
				t.Errorf("%s: expected.json: %v", id, err)
				continue
			}
			inputs, err := os.ReadDir(filepath.Join(caseDir, "input"))
			if err != nil {
				skipped = append(skipped, id)
				continue
			}
			c := conformanceCase{id: id, wantFinding: len(expected) > 0, rules: kubescapeRules[rule]}
			for _, in := range inputs {
				if !in.IsDir() && isManifestName(in.Name()) {
					c.files = append(c.files, filepath.Join(caseDir, "input", in.Name()))
				}
			}
			cases = append(cases, c)
		}
	}
	return cases, skipped
}

func isManifestName(name string) bool {
	switch strings.ToLower(filepath.Ext(name)) {
	case ".yaml", ".yml", ".json":
		return true
	}
	return false
}

func TestConformance(t *testing.T) {
	dir := repotest.Conformance(t, "")
	e := testEngine(t)
	for _, ids := range [][]string{flatten(polarisChecks), flatten(kubescapeRules)} {
		for _, id := range ids {
			if _, ok := e.Rule(id); !ok {
				t.Errorf("mapping names unknown rule %s", id)
			}
		}
	}
	pol := polarisCases(t, dir)
	ks, skipped := kubescapeCases(t, dir)
	used := map[string]bool{}
	type tally struct{ run, agree int }
	suites := map[string]*tally{"polaris": {}, "kubescape": {}}
	perMapping := map[string]*tally{} // "polaris:<check>" or "kubescape:<rule>"
	for _, c := range append(pol, ks...) {
		c := c
		suite := c.id[:strings.Index(c.id, ":")]
		listed := matchDisagreement(c.id, used)
		agreed, ran := false, false
		t.Run(c.id, func(t *testing.T) {
			ran = true
			var files []manifestFile
			for _, f := range c.files {
				data, err := os.ReadFile(f)
				if err != nil {
					t.Fatal(err)
				}
				files = append(files, manifestFile{filepath.Base(f), data})
			}
			all := scanManifests(t, e, files...)
			got := findingsOf(all, c.rules...)
			agreed = (len(got) > 0) == c.wantFinding
			verdict := func() string {
				if c.wantFinding {
					return fmt.Sprintf("upstream expects a finding of %s, kscan gives none", strings.Join(c.rules, " or "))
				}
				return fmt.Sprintf("upstream expects no finding of %s, kscan gives:%s", strings.Join(c.rules, " or "), describeFindings(got))
			}
			switch {
			case !agreed && listed == nil:
				t.Errorf("unexpected disagreement: %s", verdict())
			case agreed && listed != nil:
				t.Errorf("listed in expectedDisagreements (%q) but kscan now agrees with upstream: remove it from the list and from docs/conformance.md", listed.fixtures)
			case !agreed && listed.coveredBy != "" && len(findingsOf(all, listed.coveredBy)) == 0:
				t.Errorf("disagreement %q says %s covers this fixture, but it gives no finding", listed.fixtures, listed.coveredBy)
			}
		})
		mapping := c.id[:strings.LastIndex(c.id, "/")]
		if perMapping[mapping] == nil {
			perMapping[mapping] = &tally{}
		}
		if ran {
			suites[suite].run++
			perMapping[mapping].run++
		}
		if agreed {
			suites[suite].agree++
			perMapping[mapping].agree++
		}
	}
	for _, d := range expectedDisagreements {
		for _, f := range d.fixtures {
			if !used[f] {
				t.Errorf("expectedDisagreements fixture %q matches no fixture", f)
			}
		}
	}
	for _, m := range slices.Sorted(maps.Keys(perMapping)) {
		t.Logf("%s: %d/%d agree", m, perMapping[m].agree, perMapping[m].run)
	}
	run, agree := 0, 0
	for _, name := range []string{"polaris", "kubescape"} {
		s := suites[name]
		run += s.run
		agree += s.agree
		t.Logf("%s: %d fixtures, %d agree (%.1f%%)", name, s.run, s.agree, pct(s.agree, s.run))
	}
	t.Logf("conformance: %d fixtures, %d agree with upstream, %d documented disagreements; pass rate %.1f%% (%d kubescape cases without input/ skipped: %s)",
		run, agree, run-agree, pct(agree, run), len(skipped), strings.Join(skipped, ", "))

	// docs/conformance.md states the result; keep it true. Only a complete
	// run (no -run filter on subtests) knows the numbers.
	if run == len(pol)+len(ks) && !t.Failed() {
		summary := fmt.Sprintf("%d of %d fixtures agree (%.1f%%)", agree, run, pct(agree, run))
		doc, err := os.ReadFile(filepath.Join("..", "docs", "conformance.md"))
		if err != nil {
			t.Errorf("docs/conformance.md: %v", err)
		} else if !strings.Contains(string(doc), summary) {
			t.Errorf("docs/conformance.md does not say %q: update its numbers (and tables) from this test's log", summary)
		}
	}
}

// TestConformancePolarisWebhookCases reads Polaris's webhook fixtures (every
// workload kind, several apiVersions) to check that each parses cleanly, is
// recognised as a workload and that no rule fails on it. They carry no
// per-rule verdict (Polaris's default danger set decides them), so findings
// are not compared.
func TestConformancePolarisWebhookCases(t *testing.T) {
	dir := filepath.Join(repotest.Conformance(t, ""), "polaris", "test", "webhook_cases")
	e := testEngine(t)
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, en := range entries {
		if en.IsDir() || !isManifestName(en.Name()) {
			continue
		}
		name := en.Name()
		t.Run(name, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join(dir, name))
			if err != nil {
				t.Fatal(err)
			}
			scanManifests(t, e, manifestFile{name, data})
			g := graph.New()
			manifest.ParseInto(data, graph.Source{Kind: graph.SourceFile, File: name}, "", g)
			workloads := 0
			for _, n := range g.Nodes() {
				kind, _, _ := graph.K8sMeta(n)
				if _, spec, _ := graph.PodTemplate(n.Object); graph.WorkloadKinds[kind] && spec != nil {
					workloads++
				}
			}
			if workloads == 0 {
				t.Errorf("no workload with a pod spec found")
			}
		})
	}
}

// matchDisagreement returns the listed disagreement covering a fixture id,
// recording which patterns were used.
func matchDisagreement(id string, used map[string]bool) *disagreement {
	for i := range expectedDisagreements {
		for _, pat := range expectedDisagreements[i].fixtures {
			if ok, _ := path.Match(pat, id); ok {
				used[pat] = true
				return &expectedDisagreements[i]
			}
		}
	}
	return nil
}

func pct(a, b int) float64 {
	if b == 0 {
		return 0
	}
	return 100 * float64(a) / float64(b)
}

func flatten(m map[string][]string) []string {
	seen := map[string]bool{}
	var out []string
	for _, ids := range m {
		for _, id := range ids {
			if !seen[id] {
				seen[id] = true
				out = append(out, id)
			}
		}
	}
	sort.Strings(out)
	return out
}
