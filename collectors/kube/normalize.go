package kube

import (
	"fmt"
	"reflect"
	"strings"

	"github.com/kscan-io/kscan/graph"
)

// Normalize turns an object read from the API server into the shape its
// manifest had, so that a live object and its file give the same node and
// fire the same rules:
//
//   - server-managed metadata (managedFields, resourceVersion, uid,
//     creationTimestamp, generation, selfLink, the kubectl last-applied
//     annotation) is removed;
//   - status is removed, except a Pod's containerStatuses and
//     initContainerStatuses (image digests the registry rules need);
//   - values the API server fills in by defaulting or admission are removed
//     when they equal the default, so that they cannot create findings the
//     manifest did not have. A manifest that spells out a default explicitly
//     loses it too; every removed value is one whose absence means the same.
//
// obj is modified in place.
func Normalize(obj map[string]any) {
	kind, _ := obj["kind"].(string)
	if meta, ok := obj["metadata"].(map[string]any); ok {
		stripMeta(meta)
		if kind == "Namespace" {
			name, _ := meta["name"].(string)
			delLabelIf(meta, "kubernetes.io/metadata.name", name)
		}
	}
	if kind == "Pod" {
		if st, ok := obj["status"].(map[string]any); ok {
			kept := map[string]any{}
			for _, k := range []string{"containerStatuses", "initContainerStatuses"} {
				if v, ok := st[k]; ok {
					kept[k] = v
				}
			}
			if len(kept) > 0 {
				obj["status"] = kept
			} else {
				delete(obj, "status")
			}
		}
	} else {
		delete(obj, "status")
	}
	spec, _ := obj["spec"].(map[string]any)
	switch kind {
	case "Deployment":
		delIf(spec, "revisionHistoryLimit", 10)
		delIf(spec, "progressDeadlineSeconds", 600)
		delIf(spec, "strategy", map[string]any{"type": "RollingUpdate", "rollingUpdate": map[string]any{"maxSurge": "25%", "maxUnavailable": "25%"}})
	case "StatefulSet":
		delIf(spec, "revisionHistoryLimit", 10)
		delIf(spec, "podManagementPolicy", "OrderedReady")
		delIf(spec, "updateStrategy", map[string]any{"type": "RollingUpdate", "rollingUpdate": map[string]any{"partition": 0}})
		delIf(spec, "updateStrategy", map[string]any{"type": "RollingUpdate", "rollingUpdate": map[string]any{"partition": 0, "maxUnavailable": 1}})
		delIf(spec, "persistentVolumeClaimRetentionPolicy", map[string]any{"whenDeleted": "Retain", "whenScaled": "Retain"})
	case "DaemonSet":
		delIf(spec, "revisionHistoryLimit", 10)
		delIf(spec, "updateStrategy", map[string]any{"type": "RollingUpdate", "rollingUpdate": map[string]any{"maxSurge": 0, "maxUnavailable": 1}})
	case "Job":
		normalizeJobSpec(spec)
		if meta, ok := obj["metadata"].(map[string]any); ok {
			stripJobLabels(meta)
		}
	case "CronJob":
		delIf(spec, "concurrencyPolicy", "Allow")
		delIf(spec, "suspend", false)
		delIf(spec, "successfulJobsHistoryLimit", 3)
		delIf(spec, "failedJobsHistoryLimit", 1)
		if jt, ok := spec["jobTemplate"].(map[string]any); ok {
			stripTemplateMeta(jt)
		}
	case "Service":
		normalizeService(spec)
	case "Namespace":
		if fin, ok := spec["finalizers"].([]any); ok && len(fin) == 1 && fin[0] == "kubernetes" {
			delete(spec, "finalizers")
		}
		delEmpty(obj, "spec")
	case "RoleBinding", "ClusterRoleBinding":
		subs, _ := obj["subjects"].([]any)
		for _, s := range subs {
			if sm, ok := s.(map[string]any); ok && sm["kind"] == "ServiceAccount" {
				delIf(sm, "apiGroup", "")
			}
		}
	}
	if _, podSpec, path := graph.PodTemplate(obj); podSpec != nil {
		if kind != "Pod" {
			// The template's metadata: "creationTimestamp: null" is
			// serialised by the server for every template.
			parent := obj
			for _, seg := range strings.Split(strings.TrimSuffix(path, ".spec"), ".") {
				parent, _ = parent[seg].(map[string]any)
			}
			stripTemplateMeta(parent)
		}
		normalizePodSpec(podSpec, kind == "Pod")
	}
}

func stripMeta(meta map[string]any) {
	for _, k := range []string{"managedFields", "resourceVersion", "uid", "creationTimestamp", "generation", "selfLink"} {
		delete(meta, k)
	}
	if ann, ok := meta["annotations"].(map[string]any); ok {
		delete(ann, "kubectl.kubernetes.io/last-applied-configuration")
		delete(ann, "deployment.kubernetes.io/revision")
		delete(ann, "deprecated.daemonset.template.generation")
		if len(ann) == 0 {
			delete(meta, "annotations")
		}
	}
}

// stripTemplateMeta cleans the metadata of a pod or job template.
func stripTemplateMeta(tmpl map[string]any) {
	if tmpl == nil {
		return
	}
	if m, ok := tmpl["metadata"].(map[string]any); ok {
		if v, has := m["creationTimestamp"]; has && v == nil {
			delete(m, "creationTimestamp")
		}
		if len(m) == 0 {
			delete(tmpl, "metadata")
		}
	}
}

func normalizeJobSpec(spec map[string]any) {
	if spec == nil {
		return
	}
	delIf(spec, "backoffLimit", 6)
	delIf(spec, "completions", 1)
	delIf(spec, "parallelism", 1)
	delIf(spec, "completionMode", "NonIndexed")
	delIf(spec, "suspend", false)
	delIf(spec, "podReplacementPolicy", "TerminatingOrFailed")
	delIf(spec, "manualSelector", false)
	// The selector and template labels the Job controller generates.
	if sel, ok := spec["selector"].(map[string]any); ok {
		if ml, ok := sel["matchLabels"].(map[string]any); ok {
			if _, gen := ml["batch.kubernetes.io/controller-uid"]; gen && len(sel) == 1 {
				delete(spec, "selector")
			}
		}
	}
	if t, ok := spec["template"].(map[string]any); ok {
		if m, ok := t["metadata"].(map[string]any); ok {
			stripJobLabels(m)
		}
	}
}

// stripJobLabels removes the labels the Job controller generates.
func stripJobLabels(meta map[string]any) {
	l, ok := meta["labels"].(map[string]any)
	if !ok {
		return
	}
	if _, gen := l["batch.kubernetes.io/controller-uid"]; !gen {
		if _, gen = l["controller-uid"]; !gen {
			return
		}
	}
	for _, k := range []string{"controller-uid", "job-name", "batch.kubernetes.io/controller-uid", "batch.kubernetes.io/job-name"} {
		delete(l, k)
	}
	if len(l) == 0 {
		delete(meta, "labels")
	}
}

func normalizeService(spec map[string]any) {
	if spec == nil {
		return
	}
	if ip, _ := spec["clusterIP"].(string); ip != "None" {
		delete(spec, "clusterIP") // allocated
	}
	delete(spec, "clusterIPs")
	delete(spec, "ipFamilies")
	delIf(spec, "ipFamilyPolicy", "SingleStack")
	delIf(spec, "sessionAffinity", "None")
	delIf(spec, "internalTrafficPolicy", "Cluster")
	delIf(spec, "externalTrafficPolicy", "Cluster")
	delIf(spec, "allocateLoadBalancerNodePorts", true)
	delIf(spec, "type", "ClusterIP")
	delIf(spec, "publishNotReadyAddresses", false)
	ports, _ := spec["ports"].([]any)
	for _, p := range ports {
		pm, ok := p.(map[string]any)
		if !ok {
			continue
		}
		delIf(pm, "protocol", "TCP")
		// Allocated by the server for NodePort and LoadBalancer Services;
		// one set in the manifest cannot be told apart and goes too.
		delete(pm, "nodePort")
		if sameNumber(pm["targetPort"], pm["port"]) {
			delete(pm, "targetPort")
		}
	}
}

// normalizePodSpec removes what defaulting and admission add to a pod spec.
// isPod marks a bare Pod, which also went through admission (ServiceAccount,
// DefaultTolerationSeconds).
func normalizePodSpec(spec map[string]any, isPod bool) {
	delIf(spec, "dnsPolicy", "ClusterFirst")
	delIf(spec, "restartPolicy", "Always")
	delIf(spec, "schedulerName", "default-scheduler")
	delIf(spec, "terminationGracePeriodSeconds", 30)
	delIf(spec, "enableServiceLinks", true)
	delIf(spec, "preemptionPolicy", "PreemptLowerPriority")
	delEmpty(spec, "securityContext")
	if sa, _ := spec["serviceAccount"].(string); sa != "" && (sa == spec["serviceAccountName"] || spec["serviceAccountName"] == nil) {
		delete(spec, "serviceAccount") // deprecated alias the server copies
	}
	if isPod {
		delIf(spec, "priority", 0)
		delIf(spec, "serviceAccountName", "default")
		if tols, ok := spec["tolerations"].([]any); ok {
			var keep []any
			for _, t := range tols {
				if !isDefaultToleration(t) {
					keep = append(keep, t)
				}
			}
			if len(keep) == 0 {
				delete(spec, "tolerations")
			} else {
				spec["tolerations"] = keep
			}
		}
	}
	// The projected token volume the ServiceAccount admission plugin adds.
	injected := map[string]bool{}
	if vols, ok := spec["volumes"].([]any); ok {
		var keep []any
		for _, v := range vols {
			vm, _ := v.(map[string]any)
			name, _ := vm["name"].(string)
			if _, projected := vm["projected"]; projected && strings.HasPrefix(name, "kube-api-access-") {
				injected[name] = true
				continue
			}
			for _, src := range []string{"secret", "configMap", "projected", "downwardAPI"} {
				if sm, ok := vm[src].(map[string]any); ok {
					delIf(sm, "defaultMode", 420)
				}
			}
			if hp, ok := vm["hostPath"].(map[string]any); ok {
				delIf(hp, "type", "")
			}
			keep = append(keep, v)
		}
		if len(keep) == 0 {
			delete(spec, "volumes")
		} else {
			spec["volumes"] = keep
		}
	}
	for _, list := range []string{"initContainers", "containers", "ephemeralContainers"} {
		cs, _ := spec[list].([]any)
		for _, c := range cs {
			if cm, ok := c.(map[string]any); ok {
				normalizeContainer(cm, injected)
			}
		}
	}
}

func isDefaultToleration(t any) bool {
	tm, _ := t.(map[string]any)
	key, _ := tm["key"].(string)
	if key != "node.kubernetes.io/not-ready" && key != "node.kubernetes.io/unreachable" {
		return false
	}
	return tm["operator"] == "Exists" && tm["effect"] == "NoExecute" && sameNumber(tm["tolerationSeconds"], 300) && len(tm) == 4
}

func normalizeContainer(c map[string]any, injectedVolumes map[string]bool) {
	delIf(c, "terminationMessagePath", "/dev/termination-log")
	delIf(c, "terminationMessagePolicy", "File")
	if image, _ := c["image"].(string); image != "" {
		delIf(c, "imagePullPolicy", defaultPullPolicy(image))
	}
	delEmpty(c, "resources")
	ports, _ := c["ports"].([]any)
	for _, p := range ports {
		if pm, ok := p.(map[string]any); ok {
			delIf(pm, "protocol", "TCP")
		}
	}
	for _, probe := range []string{"livenessProbe", "readinessProbe", "startupProbe"} {
		pm, ok := c[probe].(map[string]any)
		if !ok {
			continue
		}
		delIf(pm, "timeoutSeconds", 1)
		delIf(pm, "periodSeconds", 10)
		delIf(pm, "successThreshold", 1)
		delIf(pm, "failureThreshold", 3)
		if hg, ok := pm["httpGet"].(map[string]any); ok {
			delIf(hg, "scheme", "HTTP")
		}
	}
	if env, ok := c["env"].([]any); ok {
		for _, e := range env {
			em, _ := e.(map[string]any)
			vf, _ := em["valueFrom"].(map[string]any)
			if fr, ok := vf["fieldRef"].(map[string]any); ok {
				delIf(fr, "apiVersion", "v1")
			}
		}
	}
	if len(injectedVolumes) > 0 {
		if mounts, ok := c["volumeMounts"].([]any); ok {
			var keep []any
			for _, m := range mounts {
				mm, _ := m.(map[string]any)
				if name, _ := mm["name"].(string); injectedVolumes[name] {
					continue
				}
				keep = append(keep, m)
			}
			if len(keep) == 0 {
				delete(c, "volumeMounts")
			} else {
				c["volumeMounts"] = keep
			}
		}
	}
}

// defaultPullPolicy is the API server's default: Always for the latest tag
// (also next to a digest) or neither tag nor digest, IfNotPresent otherwise.
func defaultPullPolicy(image string) string {
	ref := graph.ParseImageRef(image)
	if ref.Tag == "latest" || (ref.Tag == "" && ref.Digest == "") {
		return "Always"
	}
	return "IfNotPresent"
}

func delIf(m map[string]any, key string, def any) {
	if m == nil {
		return
	}
	v, ok := m[key]
	if ok && equalValue(v, def) {
		delete(m, key)
	}
}

func delEmpty(m map[string]any, key string) {
	if v, ok := m[key].(map[string]any); ok && len(v) == 0 {
		delete(m, key)
	}
}

func delLabelIf(meta map[string]any, key, value string) {
	l, ok := meta["labels"].(map[string]any)
	if !ok {
		return
	}
	if l[key] == value {
		delete(l, key)
	}
	if len(l) == 0 {
		delete(meta, "labels")
	}
}

// equalValue compares decoded JSON values, treating every number kind alike
// (the API server's JSON gives int64, a test's literal int).
func equalValue(a, b any) bool {
	if am, ok := a.(map[string]any); ok {
		bm, ok := b.(map[string]any)
		if !ok || len(am) != len(bm) {
			return false
		}
		for k, av := range am {
			bv, ok := bm[k]
			if !ok || !equalValue(av, bv) {
				return false
			}
		}
		return true
	}
	if isNumber(a) || isNumber(b) {
		return sameNumber(a, b)
	}
	return reflect.DeepEqual(a, b)
}

func isNumber(v any) bool {
	switch v.(type) {
	case int, int32, int64, float64, float32:
		return true
	}
	return false
}

func sameNumber(a, b any) bool {
	if !isNumber(a) || !isNumber(b) {
		return false
	}
	return fmt.Sprint(toFloat(a)) == fmt.Sprint(toFloat(b))
}

func toFloat(v any) float64 {
	switch n := v.(type) {
	case int:
		return float64(n)
	case int32:
		return float64(n)
	case int64:
		return float64(n)
	case float32:
		return float64(n)
	case float64:
		return n
	}
	return 0
}
