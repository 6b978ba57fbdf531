package drift

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/kscan-io/kscan/graph"
)

func obj(t *testing.T, s string) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		t.Fatal(err)
	}
	return m
}

const declaredDeploy = `{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web","namespace":"shop","labels":{"team":"a"},"annotations":{"owner":"x"}},
 "spec":{"replicas":2,"selector":{"matchLabels":{"app":"web"}},"template":{"metadata":{"labels":{"app":"web"}},"spec":{"containers":[{"name":"web","image":"nginx:1.27","resources":{"limits":{"cpu":"1","memory":"1Gi"}},"ports":[{"containerPort":8080}]}]}}}}`

// liveDeploy is what the API server returns for declaredDeploy: defaults,
// managed fields and status added, quantities rewritten.
const liveDeploy = `{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web","namespace":"shop","uid":"1","resourceVersion":"9","generation":3,"creationTimestamp":"2026-01-01T00:00:00Z",
 "labels":{"team":"a","app.kubernetes.io/managed-by":"pulumi"},"annotations":{"owner":"x","deployment.kubernetes.io/revision":"3"},"managedFields":[{"manager":"pulumi"}]},
 "spec":{"replicas":2,"revisionHistoryLimit":10,"progressDeadlineSeconds":600,"strategy":{"type":"RollingUpdate"},"selector":{"matchLabels":{"app":"web"}},
 "template":{"metadata":{"labels":{"app":"web"},"creationTimestamp":null},"spec":{"restartPolicy":"Always","dnsPolicy":"ClusterFirst","containers":[
 {"name":"web","image":"nginx:1.27","imagePullPolicy":"IfNotPresent","terminationMessagePath":"/dev/termination-log","resources":{"limits":{"cpu":"1000m","memory":"1024Mi"}},"ports":[{"containerPort":8080,"protocol":"TCP"}]},
 {"name":"istio-proxy","image":"istio/proxyv2:1.22"}]}}},
 "status":{"replicas":2,"readyReplicas":2}}`

func TestCompare(t *testing.T) {
	tests := []struct {
		name           string
		declared, live string
		patch          func(live map[string]any)
		want           []string
	}{
		{"untouched deployment", declaredDeploy, liveDeploy, nil, nil},
		{"replicas changed", declaredDeploy, liveDeploy, func(l map[string]any) {
			l["spec"].(map[string]any)["replicas"] = 5.0
		}, []string{"spec.replicas"}},
		{"label changed and annotation removed", declaredDeploy, liveDeploy, func(l map[string]any) {
			m := l["metadata"].(map[string]any)
			m["labels"].(map[string]any)["team"] = "b"
			delete(m["annotations"].(map[string]any), "owner")
		}, []string{"metadata.annotations.owner", "metadata.labels.team"}},
		{"image changed", declaredDeploy, liveDeploy, func(l map[string]any) {
			c := l["spec"].(map[string]any)["template"].(map[string]any)["spec"].(map[string]any)["containers"].([]any)[0].(map[string]any)
			c["image"] = "nginx:1.28"
		}, []string{"spec.template.spec.containers[0].image"}},
		{"memory limit changed", declaredDeploy, liveDeploy, func(l map[string]any) {
			c := l["spec"].(map[string]any)["template"].(map[string]any)["spec"].(map[string]any)["containers"].([]any)[0].(map[string]any)
			c["resources"].(map[string]any)["limits"].(map[string]any)["memory"] = "2Gi"
		}, []string{"spec.template.spec.containers[0].resources.limits.memory"}},
		{"rolebinding subject changed",
			`{"apiVersion":"rbac.authorization.k8s.io/v1","kind":"RoleBinding","metadata":{"name":"rb","namespace":"shop"},"roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"Role","name":"r"},"subjects":[{"kind":"ServiceAccount","name":"web","namespace":"shop"}]}`,
			`{"apiVersion":"rbac.authorization.k8s.io/v1","kind":"RoleBinding","metadata":{"name":"rb","namespace":"shop","uid":"2"},"roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"Role","name":"r"},"subjects":[{"kind":"ServiceAccount","name":"intruder","namespace":"shop"}]}`,
			nil, []string{"subjects[0]"}},
		{"role rule added",
			`{"apiVersion":"rbac.authorization.k8s.io/v1","kind":"Role","metadata":{"name":"r","namespace":"shop"},"rules":[{"apiGroups":[""],"resources":["configmaps"],"verbs":["get"]}]}`,
			`{"apiVersion":"rbac.authorization.k8s.io/v1","kind":"Role","metadata":{"name":"r","namespace":"shop"},"rules":[{"apiGroups":[""],"resources":["configmaps"],"verbs":["get"]},{"apiGroups":[""],"resources":["secrets"],"verbs":["get"]}]}`,
			nil, []string{"rules"}},
		{"secret data is never compared",
			`{"apiVersion":"v1","kind":"Secret","metadata":{"name":"s","namespace":"shop"},"data":"[secret]","stringData":{"a":"[redacted]"}}`,
			`{"apiVersion":"v1","kind":"Secret","metadata":{"name":"s","namespace":"shop"},"data":{"a":"Yg=="}}`,
			nil, nil},
		{"defaults removed by the live collector are not drift",
			`{"apiVersion":"v1","kind":"Service","metadata":{"name":"web","namespace":"shop"},"spec":{"type":"ClusterIP","selector":{"app":"web"},"ports":[{"port":80,"targetPort":80,"protocol":"TCP"}]}}`,
			`{"apiVersion":"v1","kind":"Service","metadata":{"name":"web","namespace":"shop"},"spec":{"selector":{"app":"web"},"ports":[{"port":80}]}}`,
			nil, nil},
		{"service selector changed",
			`{"apiVersion":"v1","kind":"Service","metadata":{"name":"web","namespace":"shop"},"spec":{"selector":{"app":"web"},"ports":[{"port":80}]}}`,
			`{"apiVersion":"v1","kind":"Service","metadata":{"name":"web","namespace":"shop"},"spec":{"selector":{"app":"web-canary"},"ports":[{"port":80}]}}`,
			nil, []string{"spec.selector.app"}},
		{"container removed",
			`{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p","namespace":"shop"},"spec":{"containers":[{"name":"a","image":"x:1"},{"name":"b","image":"y:1"}]}}`,
			`{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p","namespace":"shop"},"spec":{"containers":[{"name":"a","image":"x:1"}]}}`,
			nil, []string{"spec.containers[1]"}},
		{"unknown declared value is skipped",
			`{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"c","namespace":"shop"},"data":{"url":"[unknown]","mode":"a"}}`,
			`{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"c","namespace":"shop"},"data":{"url":"http://x","mode":"b"}}`,
			nil, []string{"data.mode"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			live := obj(t, tc.live)
			if tc.patch != nil {
				tc.patch(live)
			}
			got := Compare(obj(t, tc.declared), live)
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("Compare = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestEnrich(t *testing.T) {
	g := graph.New()
	decl := graph.NewK8sNode(obj(t, declaredDeploy), graph.Source{Kind: graph.SourcePulumiState, File: "s.json"}, "default")
	decl.Attrs = map[string]any{"k8s_id": decl.ID}
	decl.ID = "urn:pulumi:prod::shop::kubernetes:apps/v1:Deployment::web"
	g.AddNode(decl)
	gone := graph.NewK8sNode(obj(t, `{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"api","namespace":"shop"}}`), graph.Source{Kind: graph.SourcePulumiState, File: "s.json"}, "default")
	gone.Attrs = map[string]any{"k8s_id": gone.ID}
	gone.ID = "urn:pulumi:prod::shop::kubernetes:apps/v1:Deployment::api"
	g.AddNode(gone)
	live := obj(t, liveDeploy)
	live["spec"].(map[string]any)["replicas"] = 3.0
	ln := graph.NewK8sNode(live, graph.Source{Kind: graph.SourceCluster, Cluster: "prod", Path: "/apis/apps/v1/namespaces/shop/deployments/web"}, "default")
	g.AddNode(ln)
	orphan := graph.NewK8sNode(obj(t, `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"old","namespace":"shop","labels":{"app.kubernetes.io/managed-by":"pulumi"}}}`), graph.Source{Kind: graph.SourceCluster}, "default")
	g.AddNode(orphan)
	other := graph.NewK8sNode(obj(t, `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"helm","namespace":"shop","labels":{"app.kubernetes.io/managed-by":"Helm"}}}`), graph.Source{Kind: graph.SourceCluster}, "default")
	g.AddNode(other)

	Enrich(g)

	d, _ := decl.Attrs[AttrDrift].(map[string]any)
	if !reflect.DeepEqual(d["changed"], []any{"spec.replicas"}) || d["live"] != ln.ID || d["missing"] != false {
		t.Errorf("drift = %v", d)
	}
	if m, _ := gone.Attrs[AttrDrift].(map[string]any); m["missing"] != true {
		t.Errorf("missing deployment not reported: %v", gone.Attrs)
	}
	if orphan.Attrs[AttrUnmanaged] != true {
		t.Error("orphan ConfigMap not marked unmanaged")
	}
	if other.Attrs[AttrUnmanaged] != nil || ln.Attrs[AttrUnmanaged] != nil {
		t.Error("declared or non-Pulumi objects marked unmanaged")
	}
	found := false
	for _, e := range g.Edges() {
		if e.From == decl.Key && e.To == ln.Key && e.Type == graph.EdgeDeclares {
			found = true
		}
	}
	if !found {
		t.Error("no declares edge")
	}
}
