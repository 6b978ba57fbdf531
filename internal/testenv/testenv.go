// Package testenv starts the real components integration tests run against:
// etcd and kube-apiserver on loopback, built by hack/testbin.sh into
// $KSCAN_TESTBIN. One API server is shared by all tests of a test binary;
// call StopAll from TestMain. Processes die with the test binary
// (Pdeathsig), so a killed test run leaves nothing behind.
package testenv

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"k8s.io/client-go/rest"

	"github.com/kscan-io/kscan/internal/repotest"
)

// BinDir is where hack/testbin.sh puts the binaries.
func BinDir() string {
	if d := os.Getenv("KSCAN_TESTBIN"); d != "" {
		return d
	}
	home, _ := os.UserHomeDir()
	cache := os.Getenv("XDG_CACHE_HOME")
	if cache == "" {
		cache = filepath.Join(home, ".cache")
	}
	return filepath.Join(cache, "kscan-testbin")
}

// Binary returns the path of a test component, or skips the test when it
// is missing — except in CI, where a missing component fails the test.
func Binary(t testing.TB, name string) string {
	t.Helper()
	p := filepath.Join(BinDir(), name)
	if _, err := os.Stat(p); err != nil {
		repotest.Missing(t, "%s not found in %s: run hack/testbin.sh %s", name, BinDir(), name)
	}
	return p
}

// APIServer is a running etcd + kube-apiserver pair.
type APIServer struct {
	// Config authenticates as a member of system:masters.
	Config *rest.Config
	// Kubeconfig is a kubeconfig file for Config (context "testenv").
	Kubeconfig string
	// Token is the bearer token of the admin user.
	Token string
	// URL is the API server's https URL.
	URL string
	// StartupTime is how long the API server took to become ready.
	StartupTime time.Duration

	dir   string
	procs []*exec.Cmd
}

var (
	mu     sync.Mutex
	shared *APIServer
	failed error
)

// APIServerFor returns the API server shared by this test binary, starting
// it on first use.
func APIServerFor(t testing.TB) *APIServer {
	t.Helper()
	etcd := Binary(t, "etcd")
	apiserver := Binary(t, "kube-apiserver")
	mu.Lock()
	defer mu.Unlock()
	if shared != nil {
		return shared
	}
	if failed != nil {
		t.Fatalf("API server did not start earlier: %v", failed)
	}
	s, err := start(etcd, apiserver)
	if err != nil {
		failed = err
		t.Fatalf("starting API server: %v", err)
	}
	shared = s
	return s
}

// StopAll stops the shared API server. Call it from TestMain after m.Run.
func StopAll() {
	mu.Lock()
	defer mu.Unlock()
	if shared != nil {
		shared.stop()
		shared = nil
	}
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func start(etcdBin, apiserverBin string) (*APIServer, error) {
	dir, err := os.MkdirTemp("", "kscan-testenv-")
	if err != nil {
		return nil, err
	}
	s := &APIServer{dir: dir}
	ok := false
	defer func() {
		if !ok {
			s.stop()
		}
	}()
	clientPort, err := freePort()
	if err != nil {
		return nil, err
	}
	peerPort, err := freePort()
	if err != nil {
		return nil, err
	}
	etcdURL := fmt.Sprintf("http://127.0.0.1:%d", clientPort)
	if err := s.spawn("etcd", etcdBin,
		"--data-dir", filepath.Join(dir, "etcd"),
		"--listen-client-urls", etcdURL, "--advertise-client-urls", etcdURL,
		"--listen-peer-urls", fmt.Sprintf("http://127.0.0.1:%d", peerPort),
		"--initial-advertise-peer-urls", fmt.Sprintf("http://127.0.0.1:%d", peerPort),
		"--initial-cluster", fmt.Sprintf("default=http://127.0.0.1:%d", peerPort),
		"--log-level", "error", "--unsafe-no-fsync",
	); err != nil {
		return nil, err
	}

	tok := make([]byte, 16)
	if _, err := rand.Read(tok); err != nil {
		return nil, err
	}
	s.Token = hex.EncodeToString(tok)
	if err := os.WriteFile(filepath.Join(dir, "tokens.csv"), []byte(s.Token+",kscan-admin,kscan-admin,\"system:masters\"\n"), 0o600); err != nil {
		return nil, err
	}
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, err
	}
	keyPEM := pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)})
	pubDER, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	if err != nil {
		return nil, err
	}
	pubPEM := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubDER})
	if err := os.WriteFile(filepath.Join(dir, "sa.key"), keyPEM, 0o600); err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(dir, "sa.pub"), pubPEM, 0o600); err != nil {
		return nil, err
	}
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	s.URL = fmt.Sprintf("https://127.0.0.1:%d", port)
	begin := time.Now()
	if err := s.spawn("kube-apiserver", apiserverBin,
		"--etcd-servers", etcdURL,
		"--cert-dir", filepath.Join(dir, "certs"),
		"--bind-address", "127.0.0.1",
		"--secure-port", fmt.Sprint(port),
		"--token-auth-file", filepath.Join(dir, "tokens.csv"),
		"--authorization-mode", "RBAC",
		"--service-account-key-file", filepath.Join(dir, "sa.pub"),
		"--service-account-signing-key-file", filepath.Join(dir, "sa.key"),
		"--service-account-issuer", "https://kubernetes.default.svc.cluster.local",
		"--api-audiences", "https://kubernetes.default.svc.cluster.local",
		"--endpoint-reconciler-type", "none",
		"--disable-admission-plugins", "ServiceAccount",
		"--service-cluster-ip-range", "10.0.0.0/24",
		"--allow-privileged=true",
		"--advertise-address", "127.0.0.1",
		"--v", "0",
	); err != nil {
		return nil, err
	}
	if err := s.waitReady(90 * time.Second); err != nil {
		return nil, err
	}
	s.StartupTime = time.Since(begin)
	s.Config = &rest.Config{
		Host:            s.URL,
		BearerToken:     s.Token,
		TLSClientConfig: rest.TLSClientConfig{Insecure: true},
		QPS:             200,
		Burst:           400,
		Timeout:         30 * time.Second,
	}
	s.Kubeconfig = filepath.Join(dir, "kubeconfig")
	if err := os.WriteFile(s.Kubeconfig, []byte(KubeconfigFor(s.URL, "kscan-admin", s.Token)), 0o600); err != nil {
		return nil, err
	}
	ok = true
	return s, nil
}

// KubeconfigFor renders a kubeconfig with one context "testenv" using a
// bearer token.
func KubeconfigFor(server, user, token string) string {
	return fmt.Sprintf(`apiVersion: v1
kind: Config
clusters:
- name: testenv
  cluster:
    server: %s
    insecure-skip-tls-verify: true
users:
- name: %s
  user:
    token: %s
contexts:
- name: testenv
  context:
    cluster: testenv
    user: %s
current-context: testenv
`, server, user, token, user)
}

// PIDs are the process ids of etcd and kube-apiserver: the live benchmark
// reads their CPU time around each pass.
func (s *APIServer) PIDs() []int {
	out := make([]int, 0, len(s.procs))
	for _, p := range s.procs {
		if p.Process != nil {
			out = append(out, p.Process.Pid)
		}
	}
	return out
}

func (s *APIServer) spawn(name, bin string, args ...string) error {
	cmd := exec.Command(bin, args...)
	logf, err := os.Create(filepath.Join(s.dir, name+".log"))
	if err != nil {
		return err
	}
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL, Setpgid: true}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("starting %s: %w", name, err)
	}
	s.procs = append(s.procs, cmd)
	return nil
}

func (s *APIServer) waitReady(limit time.Duration) error {
	client := &http.Client{Timeout: 2 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	var last string
	for ctx.Err() == nil {
		req, _ := http.NewRequestWithContext(ctx, "GET", s.URL+"/readyz", nil)
		req.Header.Set("Authorization", "Bearer "+s.Token)
		resp, err := client.Do(req)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return nil
			}
			last = resp.Status
		} else {
			last = err.Error()
		}
		for _, p := range s.procs {
			if p.ProcessState != nil {
				break
			}
		}
		time.Sleep(200 * time.Millisecond)
	}
	logs, _ := os.ReadFile(filepath.Join(s.dir, "kube-apiserver.log"))
	if len(logs) > 4000 {
		logs = logs[len(logs)-4000:]
	}
	return fmt.Errorf("kube-apiserver not ready after %s (last: %s); log tail:\n%s", limit, last, logs)
}

func (s *APIServer) stop() {
	for i := len(s.procs) - 1; i >= 0; i-- {
		p := s.procs[i]
		if p.Process != nil {
			_ = syscall.Kill(-p.Process.Pid, syscall.SIGTERM)
			done := make(chan struct{})
			go func() { _ = p.Wait(); close(done) }()
			select {
			case <-done:
			case <-time.After(10 * time.Second):
				_ = syscall.Kill(-p.Process.Pid, syscall.SIGKILL)
				<-done
			}
		}
	}
	if s.dir != "" {
		os.RemoveAll(s.dir)
	}
}
