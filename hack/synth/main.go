// Command synth writes a synthetic cluster of N Kubernetes objects as
// manifest files, in realistic proportions (per app: a Deployment, a
// Service, a ServiceAccount, a ConfigMap; per namespace: RBAC and a
// NetworkPolicy), for benchmarks. Output is deterministic for a given N.
//
// -fault-rate F (or -messy, F = 0.4) makes that share of the applications
// faulty, the way real clusters are: each faulty app gets a few problems
// drawn from every rule family (pod security: root, privileged, host
// namespaces and paths, capabilities, no limits; images: :latest, no tag,
// public registries; exposure: public load balancers, NodePorts, hostPorts;
// secrets in env; RBAC: wildcard roles, secrets readers, cluster-admin and
// escalation bindings for ServiceAccounts). The choice is pseudo-random
// from a fixed seed, so the output is still deterministic.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

func main() {
	n := flag.Int("n", 1000, "number of objects")
	out := flag.String("out", "synth", "output directory")
	rate := flag.Float64("fault-rate", 0, "share of applications with problems (0: the tidy cluster)")
	messy := flag.Bool("messy", false, "a realistic messy cluster: -fault-rate 0.4")
	flag.Parse()
	if *messy && *rate == 0 {
		*rate = 0.4
	}
	if *rate < 0 || *rate > 1 {
		fmt.Fprintln(os.Stderr, "synth: -fault-rate must be between 0 and 1")
		os.Exit(2)
	}
	faultRate = *rate
	if err := run(*n, *out); err != nil {
		fmt.Fprintln(os.Stderr, "synth:", err)
		os.Exit(1)
	}
}

// faultRate is the share of faulty applications; rnd draws from a fixed
// seed (a 64-bit LCG) so that a given N and rate always give the same files.
var (
	faultRate float64
	seed      uint64 = 0x9e3779b97f4a7c15
)

func rnd() float64 {
	seed = seed*6364136223846793005 + 1442695040888963407
	return float64(seed>>11) / float64(1<<53)
}

// faults are the problems a faulty app may have, applied to its Deployment
// (and Service) text; each faulty app gets 2-5 different ones.
var faults = []func(d, svc string) (string, string){
	func(d, s string) (string, string) { return replace(d, "privileged: false", "privileged: true"), s },
	func(d, s string) (string, string) { return replace(d, "runAsNonRoot: true", "runAsNonRoot: false"), s },
	func(d, s string) (string, string) {
		return replace(d, "      securityContext:\n        runAsNonRoot", "      hostNetwork: true\n      hostPID: true\n      securityContext:\n        runAsNonRoot"), s
	},
	func(d, s string) (string, string) {
		return replace(d, "        readinessProbe:", "        volumeMounts: [{name: host, mountPath: /host}]\n        readinessProbe:") + "      volumes: [{name: host, hostPath: {path: /var/run/docker.sock}}]\n", s
	},
	func(d, s string) (string, string) {
		return replace(d, "capabilities: {drop: [ALL]}", "capabilities: {add: [SYS_ADMIN, NET_RAW]}"), s
	},
	func(d, s string) (string, string) {
		return replace(d, "          limits: {memory: 256Mi}\n", ""), s
	},
	func(d, s string) (string, string) { return replaceImage(d, "docker.io/library/nginx"), s },
	func(d, s string) (string, string) { return replaceImage(d, "mysql:latest"), s },
	func(d, s string) (string, string) {
		return replace(d, "allowPrivilegeEscalation: false", "allowPrivilegeEscalation: true"), s
	},
	func(d, s string) (string, string) {
		return replace(d, `- {name: PORT, value: "8080"}`, `- {name: PORT, value: "8080"}`+"\n        - name: DB_PASSWORD\n          valueFrom: {secretKeyRef: {name: db, key: password}}"), s
	},
	func(d, s string) (string, string) { return d, replace(s, "type: ClusterIP", "type: LoadBalancer") },
	func(d, s string) (string, string) { return d, replace(s, "type: ClusterIP", "type: NodePort") },
	func(d, s string) (string, string) {
		return replace(d, "ports: [{containerPort: 8080, name: http}]", "ports: [{containerPort: 8080, name: http, hostPort: 8080}]"), s
	},
	func(d, s string) (string, string) {
		return replace(d, "readOnlyRootFilesystem: true", "readOnlyRootFilesystem: false"), s
	},
}

func replace(s, old, new string) string { return strings.Replace(s, old, new, 1) }

func replaceImage(d, image string) string {
	i := strings.Index(d, "image: ")
	j := strings.Index(d[i:], "\n")
	return d[:i] + "image: " + image + d[i+j:]
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
		if faultRate > 0 && rnd() < faultRate {
			// A faulty namespace: RBAC grown by hand.
			switch int(rnd() * 4) {
			case 0:
				emit(wildcardRoleTmpl, name)
			case 1:
				emit(adminBindingTmpl, name, name)
			case 2:
				emit(escalateRoleTmpl, name)
			default:
				emit(roleTmpl, name)
			}
		} else {
			emit(roleTmpl, name)
		}
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
			typ := "ClusterIP"
			if app == 3 {
				typ = "LoadBalancer"
			}
			d := fmt.Sprintf(deployTmpl, a, name, a, a, a, a, image, privileged)
			svc := fmt.Sprintf(serviceTmpl, a, name, typ, a)
			if faultRate > 0 && rnd() < faultRate {
				// 2-5 different problems (the same one twice would
				// write a duplicate key).
				used := map[int]bool{}
				for k := 2 + int(rnd()*4); k > 0; {
					i := int(rnd() * float64(len(faults)))
					if used[i] {
						continue
					}
					used[i] = true
					d, svc = faults[i](d, svc)
					k--
				}
			}
			emit("%s", d)
			emit("%s", svc)
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

const wildcardRoleTmpl = `apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata:
  name: deployer
  namespace: %s
rules:
- apiGroups: ["*"]
  resources: ["*"]
  verbs: ["*"]
`

const escalateRoleTmpl = `apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata:
  name: deployer
  namespace: %s
rules:
- apiGroups: [rbac.authorization.k8s.io]
  resources: [roles, rolebindings]
  verbs: [create, update, bind, escalate]
- apiGroups: [""]
  resources: [pods/exec, secrets]
  verbs: [create, get, list]
`

// adminBindingTmpl keeps the namespace's Role and binding count: a
// RoleBinding of cluster-admin to the ci ServiceAccount.
const adminBindingTmpl = `apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata:
  name: ci-admin
  namespace: %s
subjects:
- kind: ServiceAccount
  name: ci
  namespace: %s
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: ClusterRole
  name: cluster-admin
`
