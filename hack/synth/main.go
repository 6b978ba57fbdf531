// Command synth writes a synthetic cluster of N Kubernetes objects as
// manifest files, in realistic proportions (per app: a Deployment, a
// Service, a ServiceAccount, a ConfigMap; per namespace: RBAC and a
// NetworkPolicy), for benchmarks. Output is deterministic for a given N.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"os"
	"path/filepath"
)

func main() {
	n := flag.Int("n", 1000, "number of objects")
	out := flag.String("out", "synth", "output directory")
	flag.Parse()
	if err := run(*n, *out); err != nil {
		fmt.Fprintln(os.Stderr, "synth:", err)
		os.Exit(1)
	}
}

func run(n int, dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	written := 0
	for ns := 0; written < n; ns++ {
		name := fmt.Sprintf("team-%04d", ns)
		f, err := os.Create(filepath.Join(dir, name+".yaml"))
		if err != nil {
			return err
		}
		w := bufio.NewWriter(f)
		emit := func(format string, args ...any) {
			if written >= n {
				return
			}
			fmt.Fprintf(w, "---\n"+format, args...)
			written++
		}
		emit(namespaceTmpl, name)
		emit(netpolTmpl, name)
		emit(roleTmpl, name)
		emit(bindingTmpl, name, name)
		for app := 0; app < 10 && written < n; app++ {
			a := fmt.Sprintf("app-%02d", app)
			emit(saTmpl, a, name)
			emit(configTmpl, a, name)
			image := fmt.Sprintf("registry.example.com/%s/%s:1.%d.0", name, a, app)
			if app%4 == 0 {
				image = fmt.Sprintf("registry.example.com/%s/%s:latest", name, a)
			}
			privileged := app%7 == 0
			emit(deployTmpl, a, name, a, a, a, a, image, privileged)
			typ := "ClusterIP"
			if app == 3 {
				typ = "LoadBalancer"
			}
			emit(serviceTmpl, a, name, typ, a)
		}
		if err := w.Flush(); err != nil {
			return err
		}
		if err := f.Close(); err != nil {
			return err
		}
	}
	return nil
}

const namespaceTmpl = `apiVersion: v1
kind: Namespace
metadata:
  name: %s
  labels: {owner: platform}
`

const netpolTmpl = `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: default-deny
  namespace: %s
spec:
  podSelector: {}
  policyTypes: [Ingress]
`

const roleTmpl = `apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata:
  name: deployer
  namespace: %s
rules:
- apiGroups: [apps]
  resources: [deployments]
  verbs: [get, list, watch, update, patch]
- apiGroups: [""]
  resources: [configmaps, secrets]
  verbs: [get, list]
`

const bindingTmpl = `apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata:
  name: deployer
  namespace: %s
subjects:
- kind: ServiceAccount
  name: ci
  namespace: %s
- kind: Group
  name: developers
  apiGroup: rbac.authorization.k8s.io
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: Role
  name: deployer
`

const saTmpl = `apiVersion: v1
kind: ServiceAccount
metadata:
  name: %s
  namespace: %s
automountServiceAccountToken: false
`

const configTmpl = `apiVersion: v1
kind: ConfigMap
metadata:
  name: %s-config
  namespace: %s
data:
  LOG_LEVEL: info
  FEATURE_FLAGS: "search,checkout,recommendations"
`

const deployTmpl = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: %s
  namespace: %s
  labels: {app: %s, tier: backend}
spec:
  replicas: 3
  selector:
    matchLabels: {app: %s}
  template:
    metadata:
      labels: {app: %s, tier: backend}
    spec:
      serviceAccountName: %s
      securityContext:
        runAsNonRoot: true
        runAsUser: 10001
        seccompProfile: {type: RuntimeDefault}
      containers:
      - name: app
        image: %s
        ports: [{containerPort: 8080, name: http}]
        env:
        - {name: PORT, value: "8080"}
        securityContext:
          privileged: %t
          allowPrivilegeEscalation: false
          readOnlyRootFilesystem: true
          capabilities: {drop: [ALL]}
        resources:
          requests: {cpu: 100m, memory: 128Mi}
          limits: {memory: 256Mi}
        readinessProbe:
          httpGet: {path: /ready, port: http}
        livenessProbe:
          httpGet: {path: /healthz, port: http}
`

const serviceTmpl = `apiVersion: v1
kind: Service
metadata:
  name: %s
  namespace: %s
spec:
  type: %s
  selector: {app: %s}
  ports:
  - {name: http, port: 80, targetPort: http}
`
