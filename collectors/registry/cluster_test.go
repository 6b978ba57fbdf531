package registry

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes"

	"github.com/kscan-io/kscan/graph"
	"github.com/kscan-io/kscan/internal/testenv"
)

// The tag-drift scenario against a real API server and a real registry:
// pods started before a tag moved report the old digest in
// status.containerStatuses[].imageID (set through the status subresource)
// and are reported; the pod started after the move and the pod pinned by
// digest are not. The registry needs credentials, which come only from the
// imagePullSecret the pods reference.
func TestTagDriftWithLiveCluster(t *testing.T) {
	api := testenv.APIServerFor(t)
	cs, err := kubernetes.NewForConfig(api.Config)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	const user, pass = "puller", "pull-secret-value-do-not-print"
	host := startRegistry(t, func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if u, p, ok := r.BasicAuth(); !ok || u != user || p != pass {
				w.Header().Set("WWW-Authenticate", `Basic realm="test"`)
				w.WriteHeader(http.StatusUnauthorized)
				return
			}
			h.ServeHTTP(w, r)
		})
	})
	auth := remote.WithAuth(&authn.Basic{Username: user, Password: pass})
	ref := host + "/team/app:1"
	before := push(t, ref, image(t, time.Now(), "amd64"), auth)

	ns := fmt.Sprintf("drift-%d", time.Now().UnixNano())
	if _, err := cs.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	cfg, _ := json.Marshal(map[string]any{"auths": map[string]any{host: map[string]string{
		"auth": base64.StdEncoding.EncodeToString([]byte(user + ":" + pass)),
	}}})
	if _, err := cs.CoreV1().Secrets(ns).Create(ctx, &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: "regcred"},
		Type:       corev1.SecretTypeDockerConfigJson,
		Data:       map[string][]byte{corev1.DockerConfigJsonKey: cfg},
	}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	// A Secret no pod references is never read.
	if _, err := cs.CoreV1().Secrets(ns).Create(ctx, &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: "unrelated"}, Type: corev1.SecretTypeOpaque, Data: map[string][]byte{"k": []byte("v")},
	}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}

	startPod := func(name, image, digest string, secrets ...string) {
		t.Helper()
		var ps []corev1.LocalObjectReference
		for _, s := range secrets {
			ps = append(ps, corev1.LocalObjectReference{Name: s})
		}
		p, err := cs.CoreV1().Pods(ns).Create(ctx, &corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{Name: name},
			Spec: corev1.PodSpec{
				Containers:       []corev1.Container{{Name: "app", Image: image}},
				ImagePullSecrets: ps,
			},
		}, metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		p.Status = corev1.PodStatus{
			Phase: corev1.PodRunning,
			ContainerStatuses: []corev1.ContainerStatus{{
				Name: "app", Ready: true, Image: image,
				ImageID: host + "/team/app@" + digest,
				State:   corev1.ContainerState{Running: &corev1.ContainerStateRunning{StartedAt: metav1.Now()}},
			}},
		}
		if _, err := cs.CoreV1().Pods(ns).UpdateStatus(ctx, p, metav1.UpdateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	startPod("before-1", ref, before, "regcred")
	startPod("before-2", ref, before, "regcred", "missing")
	startPod("pinned", host+"/team/app@"+before, before, "regcred")

	after := push(t, ref, image(t, time.Now(), "amd64"), auth) // the tag moves
	if after == before {
		t.Fatal("the pushed image did not change")
	}
	startPod("after", ref, after, "regcred")

	// The graph as the live collector builds it: pods read from the API
	// server, made into nodes by graph.NewK8sNode.
	g := graph.New()
	pods, err := cs.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for i := range pods.Items {
		p := &pods.Items[i]
		obj, err := runtime.DefaultUnstructuredConverter.ToUnstructured(p)
		if err != nil {
			t.Fatal(err)
		}
		obj["apiVersion"], obj["kind"] = "v1", "Pod"
		g.AddNode(graph.NewK8sNode(obj, graph.Source{Kind: graph.SourceCluster, Cluster: "testenv", Path: "/api/v1/namespaces/" + ns + "/pods/" + p.Name}, ""))
	}

	kc := PullSecretKeychain(ctx, cs, g)
	if got := Hosts(kc); len(got) != 1 || got[0] != host {
		t.Errorf("keychain hosts %v, want [%s]", got, host)
	}
	if err := Collect(ctx, Options{Keychain: kc}, g); err != nil {
		t.Fatal(err)
	}
	var msgs []string
	for _, e := range g.Errors() {
		msgs = append(msgs, e.Error())
	}
	if len(msgs) != 1 || !strings.Contains(msgs[0], ns+"/Secret/missing") || !strings.Contains(msgs[0], "does not exist") {
		t.Errorf("want one warning about the missing pull secret, got %q", msgs)
	}

	rep := evaluate(t, g, "registry/tag-drift")
	var got []string
	for _, f := range rep.Findings {
		got = append(got, f.Resource)
		if !strings.Contains(f.Message, before) || !strings.Contains(f.Message, after) {
			t.Errorf("message does not give both digests: %s", f.Message)
		}
	}
	sort.Strings(got)
	want := []string{ns + "/Pod/before-1", ns + "/Pod/before-2"}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("tag-drift on %v, want %v", got, want)
	}
	out, _ := json.Marshal(struct {
		R any
		E any
		N any
	}{rep, g.Errors(), g.Nodes()})
	if strings.Contains(string(out), pass) || strings.Contains(string(out), base64.StdEncoding.EncodeToString([]byte(user+":"+pass))) {
		t.Error("a pull secret's content reached the report or graph")
	}
}
