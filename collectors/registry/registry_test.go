package registry

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/kscan-io/kscan/enrich"
	"github.com/kscan-io/kscan/finding"
	"github.com/kscan-io/kscan/graph"
	"github.com/kscan-io/kscan/internal/testenv"
	"github.com/kscan-io/kscan/policies"
	"github.com/kscan-io/kscan/scan"
)

func TestMain(m *testing.M) {
	code := m.Run()
	testenv.StopAll()
	os.Exit(code)
}

// startRegistry serves go-containerregistry's registry on loopback;
// wrap, if set, sits in front of it (auth, rate limits). It returns host:port.
func startRegistry(t testing.TB, wrap func(http.Handler) http.Handler) string {
	t.Helper()
	var h http.Handler = registry.New(registry.Logger(log.New(io.Discard, "", 0)))
	if wrap != nil {
		h = wrap(h)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return strings.TrimPrefix(srv.URL, "http://")
}

// push writes img under ref (host/repo:tag) and returns its digest.
func push(t testing.TB, ref string, img v1.Image, opts ...remote.Option) string {
	t.Helper()
	r, err := name.ParseReference(ref)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(r, img, opts...); err != nil {
		t.Fatalf("push %s: %v", ref, err)
	}
	d, err := img.Digest()
	if err != nil {
		t.Fatal(err)
	}
	return d.String()
}

// image is a small random image built at created for os/arch.
func image(t testing.TB, created time.Time, arch string) v1.Image {
	t.Helper()
	img, err := random.Image(64, 1)
	if err != nil {
		t.Fatal(err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture, cf.Created = "linux", arch, v1.Time{Time: created}
	img, err = mutate.ConfigFile(img, cf)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

func deployment(ns, name string, images ...string) *graph.Node {
	var cs []any
	for i, im := range images {
		cs = append(cs, map[string]any{"name": fmt.Sprintf("c%d", i), "image": im})
	}
	return graph.NewK8sNode(map[string]any{
		"apiVersion": "apps/v1", "kind": "Deployment",
		"metadata": map[string]any{"name": name, "namespace": ns},
		"spec":     map[string]any{"template": map[string]any{"spec": map[string]any{"containers": cs}}},
	}, graph.Source{Kind: graph.SourceFile, File: name + ".yaml", Line: 1}, "")
}

var (
	engineOnce sync.Once
	engine     *policies.Engine
	engineErr  error
)

func evaluate(t testing.TB, g *graph.Graph, ruleIDs ...string) *finding.Report {
	t.Helper()
	engineOnce.Do(func() { engine, engineErr = policies.Load(context.Background(), policies.Options{}) })
	if engineErr != nil {
		t.Fatal(engineErr)
	}
	rules, err := scan.SelectRules(engine.Rules(), ruleIDs, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := scan.Evaluate(context.Background(), engine, g, rules)
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

// fired lists "<rule> <resource> <discriminator>" of the findings.
func fired(rep *finding.Report) []string {
	var out []string
	for _, f := range rep.Findings {
		out = append(out, f.RuleID+" "+f.Resource)
	}
	sort.Strings(out)
	return out
}

func imageNode(t testing.TB, g *graph.Graph, ref string) *graph.Node {
	t.Helper()
	for _, n := range g.Nodes() {
		if n.Type != graph.TypeRegistryImage {
			continue
		}
		for _, r := range n.Attrs["refs"].([]any) {
			if r == ref {
				return n
			}
		}
	}
	t.Fatalf("no image node for %s", ref)
	return nil
}

func TestResolveAgainstLocalRegistry(t *testing.T) {
	host := startRegistry(t, nil)
	now := time.Now()
	fresh := image(t, now.Add(-24*time.Hour), "amd64")
	old := image(t, now.Add(-800*24*time.Hour), "amd64")
	arm := image(t, now.Add(-48*time.Hour), "arm64")
	freshDigest := push(t, host+"/shop/api:1.4", fresh)
	push(t, host+"/shop/api:latest", fresh)
	oldDigest := push(t, host+"/shop/legacy:2019", old)
	idx := mutate.AppendManifests(empty.Index,
		mutate.IndexAddendum{Add: fresh, Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: "linux", Architecture: "amd64"}}},
		mutate.IndexAddendum{Add: arm, Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: "linux", Architecture: "arm64"}}})
	ir, _ := name.ParseReference(host + "/shop/multi:1")
	if err := remote.WriteIndex(ir, idx); err != nil {
		t.Fatal(err)
	}
	idxDigest, _ := idx.Digest()

	g := graph.New()
	g.AddNode(deployment("shop", "api", host+"/shop/api:1.4", host+"/shop/api"))
	g.AddNode(deployment("shop", "legacy", host+"/shop/legacy:2019"))
	g.AddNode(deployment("shop", "multi", host+"/shop/multi:1"))
	g.AddNode(deployment("shop", "typo", host+"/shop/api:1.5", host+"/shop/api@"+oldDigest))
	g.AddNode(deployment("shop", "pinned", host+"/shop/legacy@"+oldDigest))
	if err := Collect(context.Background(), Options{Now: now}, g); err != nil {
		t.Fatal(err)
	}
	if errs := g.Errors(); len(errs) != 0 {
		t.Fatalf("input errors: %v", errs)
	}

	api := imageNode(t, g, host+"/shop/api:1.4")
	if api.ID != host+"/shop/api@"+freshDigest || api.Attrs["digest"] != freshDigest || api.Attrs["status"] != "resolved" {
		t.Errorf("api image node %s attrs %v", api.ID, api.Attrs)
	}
	if latest := imageNode(t, g, host+"/shop/api:latest"); latest != api {
		t.Errorf("tags resolving to one digest should share one node, got %s and %s", latest.ID, api.ID)
	}
	if p := api.Attrs["platforms"]; fmt.Sprint(p) != "[linux/amd64]" {
		t.Errorf("platforms %v", p)
	}
	multi := imageNode(t, g, host+"/shop/multi:1")
	if multi.Attrs["digest"] != idxDigest.String() || fmt.Sprint(multi.Attrs["platforms"]) != "[linux/amd64 linux/arm64]" {
		t.Errorf("index attrs %v", multi.Attrs)
	}
	if c := multi.Attrs["created"]; c == nil {
		t.Error("index: no created time from its first platform image")
	}
	if s := imageNode(t, g, host+"/shop/api:1.5").Attrs["status"]; s != "not-found" {
		t.Errorf("missing tag status %v", s)
	}
	if s := imageNode(t, g, host+"/shop/api@"+oldDigest).Attrs["status"]; s != "not-found" {
		t.Errorf("digest from another repository: status %v", s)
	}

	rep := evaluate(t, g, "registry/*", "k8s/image-not-pinned", "k8s/image-tag-latest")
	want := []string{
		"k8s/image-not-pinned shop/Deployment/api",
		"k8s/image-not-pinned shop/Deployment/legacy",
		"k8s/image-not-pinned shop/Deployment/multi",
		"k8s/image-not-pinned shop/Deployment/typo",
		"k8s/image-tag-latest shop/Deployment/api",
		"registry/image-unresolvable shop/Deployment/typo",
		"registry/image-unresolvable shop/Deployment/typo",
		"registry/stale-image shop/Deployment/legacy",
		"registry/stale-image shop/Deployment/pinned",
	}
	if got := fired(rep); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("findings:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	for _, f := range rep.Findings {
		if f.RuleID == "registry/stale-image" && !strings.Contains(f.Message, "older than the maximum age of 365 days") {
			t.Errorf("stale message: %s", f.Message)
		}
	}

	// The resolved digest is in the containers' facts for k8s rules.
	in, err := policies.BuildInput(g, enrich.Graph(context.Background(), g, enrich.Options{}))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(in.Value.String(), `"resolved_digest": "`+freshDigest+`"`) {
		t.Error("containers do not carry resolved_digest")
	}
}

func TestAllowedRegistries(t *testing.T) {
	var hits atomic.Int64
	host := startRegistry(t, func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits.Add(1); h.ServeHTTP(w, r) })
	})
	push(t, host+"/team/app:1", image(t, time.Now(), "amd64"))
	hits.Store(0)
	tests := []struct {
		name      string
		allowed   []string
		offline   bool
		untrusted []string
		wantCalls bool
	}{
		{"host allows its repositories", []string{host}, false, []string{"shop/Deployment/hub"}, true},
		{"path glob", []string{host + "/team/*", "docker.io/library/*"}, false, nil, true},
		{"glob excludes other paths", []string{host + "/other/*"}, false, []string{"shop/Deployment/app", "shop/Deployment/hub"}, false},
		{"offline still judges the list", []string{"ghcr.io"}, true, []string{"shop/Deployment/app", "shop/Deployment/hub"}, false},
		{"no list: nothing untrusted", nil, true, nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hits.Store(0)
			g := graph.New()
			g.AddNode(deployment("shop", "app", host+"/team/app:1"))
			g.AddNode(deployment("shop", "hub", "nginx:1.27"))
			// docker.io is never contacted in this test: it is either not
			// allowed or the scan is offline... except when allowed online.
			opts := Options{Allowed: tt.allowed, Offline: tt.offline, Resolver: ResolverOptions{CallTimeout: 5 * time.Second, Retries: 0}}
			if err := Collect(context.Background(), opts, g); err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, f := range evaluate(t, g, "registry/untrusted-registry").Findings {
				got = append(got, f.Resource)
			}
			sort.Strings(got)
			if strings.Join(got, ",") != strings.Join(tt.untrusted, ",") {
				t.Errorf("untrusted-registry on %v, want %v", got, tt.untrusted)
			}
			if (hits.Load() > 0) != tt.wantCalls {
				t.Errorf("registry calls: %d, want calls: %v", hits.Load(), tt.wantCalls)
			}
		})
	}
}

func TestAllowedPatterns(t *testing.T) {
	tests := []struct {
		allowed []string
		image   string
		want    bool
	}{
		{nil, "anything/at:all", true},
		{[]string{"ghcr.io"}, "ghcr.io/org/app:1", true},
		{[]string{"ghcr.io/"}, "ghcr.io/org/app:1", true},
		{[]string{"ghcr.io"}, "ghcr.io.evil.com/org/app:1", false},
		{[]string{"ghcr.io/org/*"}, "ghcr.io/org/app:1", true},
		{[]string{"ghcr.io/org/*"}, "ghcr.io/other/app:1", false},
		{[]string{"docker.io"}, "nginx", true},
		{[]string{"index.docker.io"}, "nginx", true},
		{[]string{"docker.io/library/*"}, "nginx:1", true},
		{[]string{"docker.io/library/*"}, "bitnami/redis:7", false},
		{ParseAllowed([]string{"quay.io, ghcr.io/org/*"}), "quay.io/x/y", true},
	}
	for _, tt := range tests {
		if got := Allowed(tt.allowed, graph.ParseImageRef(tt.image)); got != tt.want {
			t.Errorf("Allowed(%v, %s) = %v", tt.allowed, tt.image, got)
		}
	}
}

func TestParseAge(t *testing.T) {
	for in, want := range map[string]time.Duration{"365d": 365 * 24 * time.Hour, "0d": 0, "720h": 720 * time.Hour} {
		if got, err := ParseAge(in); err != nil || got != want {
			t.Errorf("ParseAge(%q) = %v, %v", in, got, err)
		}
	}
	for _, bad := range []string{"", "1y", "-3d", "d"} {
		if _, err := ParseAge(bad); err == nil {
			t.Errorf("ParseAge(%q) accepted", bad)
		}
	}
}

// Failure behaviour: each problem is one clear warning naming the registry
// (an error with Strict), retried where sensible, and the other registry's
// images are still judged.
func TestRegistryFailures(t *testing.T) {
	good := startRegistry(t, nil)
	push(t, good+"/ok/app:1", image(t, time.Now().Add(-1000*24*time.Hour), "amd64"))

	var flaky atomic.Int64
	var armed atomic.Bool // rate limiting starts after the test image is pushed
	rateLimited := func(limit int64) func(http.Handler) http.Handler {
		return func(h http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.Method == http.MethodHead && armed.Load() && flaky.Add(1) <= limit {
					w.Header().Set("Retry-After", "0")
					w.WriteHeader(http.StatusTooManyRequests)
					return
				}
				h.ServeHTTP(w, r)
			})
		}
	}
	auth := func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if u, p, ok := r.BasicAuth(); !ok || u != "ci" || p != "s3cret-pass" {
				w.Header().Set("WWW-Authenticate", `Basic realm="test"`)
				w.WriteHeader(http.StatusUnauthorized)
				return
			}
			h.ServeHTTP(w, r)
		})
	}
	noHead := func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Method == http.MethodHead && armed.Load() {
				w.WriteHeader(http.StatusMethodNotAllowed)
				return
			}
			h.ServeHTTP(w, r)
		})
	}
	// A TLS registry with a self-signed certificate, reached by a name that
	// is not loopback (so the client insists on https).
	tlsSrv := httptest.NewUnstartedServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	tlsSrv.Config.ErrorLog = log.New(io.Discard, "", 0) // the handshake failures are the point
	tlsSrv.StartTLS()
	defer tlsSrv.Close()
	tlsAddr := tlsSrv.Listener.Addr().String()
	_, tlsPort, _ := net.SplitHostPort(tlsAddr)
	dialer := &net.Dialer{Timeout: 2 * time.Second}
	transport := &http.Transport{
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			if strings.HasPrefix(addr, "secure.registry.test:") {
				addr = tlsAddr
			}
			return dialer.DialContext(ctx, network, addr)
		},
		TLSClientConfig: &tls.Config{MinVersion: tls.VersionTLS12},
	}
	closed := func() string {
		l, _ := net.Listen("tcp", "127.0.0.1:0")
		a := l.Addr().String()
		l.Close()
		return a
	}()

	tests := []struct {
		name     string
		wrap     func(http.Handler) http.Handler
		host     string // instead of a new registry
		keychain authn.Keychain
		strict   bool
		wantMsg  string // "" means resolves
		wantHEAD int64  // HEAD requests seen by a rate-limited registry
	}{
		{name: "unreachable", host: closed, wantMsg: "unreachable: dial: connect: connection refused"},
		{name: "401 without credentials", wrap: auth, wantMsg: "authentication failed (HTTP 401)"},
		{name: "401 strict", wrap: auth, strict: true, wantMsg: "authentication failed (HTTP 401)"},
		{name: "credentials from the keychain", wrap: auth, keychain: staticKeychain{authn.AuthConfig{Username: "ci", Password: "s3cret-pass"}}},
		// Two images: the first two HEADs are refused, then each succeeds (or
		// finds nothing): 2 + 2 requests.
		{name: "429 then success honours Retry-After", wrap: rateLimited(2), wantHEAD: 4},
		// Each image: one try and 3 retries.
		{name: "429 until retries run out", wrap: rateLimited(100), wantMsg: "rate limited (HTTP 429)", wantHEAD: 8},
		{name: "no HEAD support: GET instead", wrap: noHead},
		{name: "TLS error", host: "secure.registry.test:" + tlsPort, wantMsg: "TLS error: certificate"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			flaky.Store(0)
			armed.Store(false)
			host := tt.host
			if host == "" {
				host = startRegistry(t, tt.wrap)
				var opts []remote.Option
				if tt.wrap != nil {
					opts = append(opts, remote.WithAuth(&authn.Basic{Username: "ci", Password: "s3cret-pass"}))
				}
				push(t, host+"/team/app:1", image(t, time.Now(), "amd64"), opts...)
			}
			armed.Store(true)
			g := graph.New()
			g.AddNode(deployment("shop", "bad", host+"/team/app:1", host+"/team/other:2"))
			g.AddNode(deployment("shop", "good", good+"/ok/app:1"))
			opts := Options{Strict: tt.strict, Keychain: tt.keychain,
				Resolver: ResolverOptions{Transport: transport, CallTimeout: 10 * time.Second, Retries: 3}}
			if opts.Keychain == nil {
				opts.Keychain = authn.NewMultiKeychain() // anonymous; never the user's Docker config
			}
			start := time.Now()
			if err := Collect(context.Background(), opts, g); err != nil {
				t.Fatal(err)
			}
			if d := time.Since(start); d > 30*time.Second {
				t.Errorf("took %s", d)
			}
			errs := g.Errors()
			if tt.wantMsg == "" {
				if len(errs) != 0 {
					t.Fatalf("errors: %v", errs)
				}
				if s := imageNode(t, g, host+"/team/app:1").Attrs["status"]; s != "resolved" {
					t.Errorf("status %v", s)
				}
				if s := imageNode(t, g, host+"/team/other:2").Attrs["status"]; s != "not-found" {
					t.Errorf("status of a tag never pushed: %v", s)
				}
			} else {
				if len(errs) != 1 {
					t.Fatalf("want one message for the registry, got %v", errs)
				}
				e := errs[0]
				msg := e.Error()
				if !strings.Contains(msg, "registry "+host+": ") || !strings.Contains(msg, tt.wantMsg) ||
					!strings.Contains(msg, "2 image(s) not checked") || !strings.Contains(msg, "registry/tag-drift") {
					t.Errorf("message %q, want registry %s and %q", msg, host, tt.wantMsg)
				}
				if strings.Contains(msg, "s3cret") {
					t.Error("message leaks a credential")
				}
				wantLevel := graph.LevelWarning
				if tt.strict {
					wantLevel = graph.LevelError
				}
				if e.Level != wantLevel || g.Incomplete() != tt.strict {
					t.Errorf("level %s, incomplete %v; strict %v", e.Level, g.Incomplete(), tt.strict)
				}
			}
			if tt.wantHEAD > 0 && flaky.Load() != tt.wantHEAD {
				t.Errorf("HEAD requests = %d, want %d", flaky.Load(), tt.wantHEAD)
			}
			// The reachable registry is judged whatever happened to the other;
			// the failed one's images are not judged (not "unresolvable").
			rep := evaluate(t, g, "registry/stale-image", "registry/image-unresolvable")
			want := "registry/stale-image shop/Deployment/good"
			if tt.wantMsg == "" {
				want = "registry/image-unresolvable shop/Deployment/bad," + want
			}
			if got := strings.Join(fired(rep), ","); got != want {
				t.Errorf("findings %v, want %v", got, want)
			}
		})
	}
}

type staticKeychain struct{ cfg authn.AuthConfig }

func (k staticKeychain) Resolve(authn.Resource) (authn.Authenticator, error) {
	return authn.FromConfig(k.cfg), nil
}

// The resolver never waits longer than its call timeout on a registry that
// accepts connections but does not answer.
func TestCallTimeout(t *testing.T) {
	block := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-block }))
	defer srv.Close()
	defer close(block)
	host := strings.TrimPrefix(srv.URL, "http://")
	g := graph.New()
	g.AddNode(deployment("shop", "hang", host+"/a/b:1"))
	start := time.Now()
	err := Collect(context.Background(), Options{Keychain: authn.NewMultiKeychain(), Resolver: ResolverOptions{CallTimeout: 500 * time.Millisecond}}, g)
	if err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("took %s with a 500ms call timeout", d)
	}
	if errs := g.Errors(); len(errs) != 1 || !strings.Contains(errs[0].Message, "timed out after 500ms") {
		t.Errorf("errors %v", errs)
	}
}
