package graph

import (
	"strings"
)

// Kubernetes objects as graph nodes. Every source of Kubernetes objects (a
// file, the live cluster, Pulumi state or preview) calls NewK8sNode, so the
// same object always has the same Type, ID and Object shape.

// clusterScoped lists the built-in kinds without a namespace. Unknown kinds
// (CRDs) are treated as namespaced when they carry a namespace.
var clusterScoped = map[string]bool{
	"Namespace": true, "Node": true, "PersistentVolume": true, "ClusterRole": true,
	"ClusterRoleBinding": true, "CustomResourceDefinition": true, "StorageClass": true,
	"PriorityClass": true, "ValidatingWebhookConfiguration": true, "MutatingWebhookConfiguration": true,
	"ValidatingAdmissionPolicy": true, "ValidatingAdmissionPolicyBinding": true,
	"APIService": true, "CSIDriver": true, "CSINode": true, "IngressClass": true,
	"RuntimeClass": true, "VolumeAttachment": true, "CertificateSigningRequest": true,
	"ClusterPolicyReport": true, "ClusterReport": true, "ComponentStatus": true,
	"FlowSchema": true, "PriorityLevelConfiguration": true, "MutatingAdmissionPolicy": true,
	"MutatingAdmissionPolicyBinding": true, "DeviceClass": true,
}

// IsClusterScoped reports whether kind is a built-in cluster-scoped kind.
func IsClusterScoped(kind string) bool { return clusterScoped[kind] }

// WorkloadKinds carry a pod spec.
var WorkloadKinds = map[string]bool{
	"Pod": true, "Deployment": true, "StatefulSet": true, "DaemonSet": true,
	"ReplicaSet": true, "ReplicationController": true, "Job": true, "CronJob": true,
}

// legacyGroups maps old API groups to the group the object lives in today, so
// that an extensions/v1beta1 Deployment and an apps/v1 one are one type.
var legacyGroups = map[string]map[string]string{
	"extensions": {"Deployment": "apps", "DaemonSet": "apps", "ReplicaSet": "apps",
		"Ingress": "networking.k8s.io", "NetworkPolicy": "networking.k8s.io", "PodSecurityPolicy": "policy"},
}

// GroupOf returns the API group of an apiVersion ("" for core), with legacy
// groups mapped to the current one.
func GroupOf(apiVersion, kind string) string {
	group := ""
	if i := strings.LastIndex(apiVersion, "/"); i >= 0 {
		group = apiVersion[:i]
	}
	if m, ok := legacyGroups[group]; ok {
		if g, ok := m[kind]; ok {
			return g
		}
	}
	return group
}

// K8sType is the node type of a Kubernetes kind: "k8s:<group>/<Kind>" with
// "core" for the core group. The version is left out on purpose: the same
// object served at two versions is one thing.
func K8sType(apiVersion, kind string) string {
	g := GroupOf(apiVersion, kind)
	if g == "" {
		g = "core"
	}
	return "k8s:" + g + "/" + kind
}

// K8sID is the public identity of a Kubernetes object.
func K8sID(namespace, kind, name string) string {
	if namespace == "" {
		return kind + "/" + name
	}
	return namespace + "/" + kind + "/" + name
}

// IsK8sObject reports whether a decoded document looks like a Kubernetes
// object: it has string apiVersion and kind.
func IsK8sObject(obj map[string]any) bool {
	av, ok1 := obj["apiVersion"].(string)
	k, ok2 := obj["kind"].(string)
	return ok1 && ok2 && av != "" && k != ""
}

// LastAppliedAnnotation is where kubectl apply keeps the whole object as
// applied: for a Secret its data in clear, for a workload its env values.
const LastAppliedAnnotation = "kubectl.kubernetes.io/last-applied-configuration"

// StripServerFields drops from an object's metadata what must not enter the
// graph: managedFields (the server's field ownership, which can repeat
// values) and the last-applied-configuration annotation (a copy of the
// object, a Secret's data included). Every source builds its nodes through
// NewK8sNode, so neither reaches rules, reports or snapshots.
func StripServerFields(meta map[string]any) {
	if meta == nil {
		return
	}
	delete(meta, "managedFields")
	if ann, ok := meta["annotations"].(map[string]any); ok {
		if _, has := ann[LastAppliedAnnotation]; has {
			delete(ann, LastAppliedAnnotation)
			if len(ann) == 0 {
				delete(meta, "annotations")
			}
		}
	}
}

// NewK8sNode builds the node of a Kubernetes object. defaultNamespace is used
// for namespaced objects without one. The object's metadata.namespace is set
// to the namespace it was given, so rules see one shape.
func NewK8sNode(obj map[string]any, src Source, defaultNamespace string) *Node {
	apiVersion, _ := obj["apiVersion"].(string)
	kind, _ := obj["kind"].(string)
	meta, _ := obj["metadata"].(map[string]any)
	if meta == nil {
		meta = map[string]any{}
		obj["metadata"] = meta
	}
	StripServerFields(meta)
	RedactSecretLooking(obj)
	name, _ := meta["name"].(string)
	if name == "" {
		if gn, _ := meta["generateName"].(string); gn != "" {
			name = gn + "*"
		}
	}
	ns, _ := meta["namespace"].(string)
	if IsClusterScoped(kind) {
		ns = ""
		delete(meta, "namespace")
	} else {
		if ns == "" {
			ns = defaultNamespace
			if ns == "" {
				ns = "default"
			}
		}
		meta["namespace"] = ns
	}
	return &Node{
		ID:     K8sID(ns, kind, name),
		Type:   K8sType(apiVersion, kind),
		Object: obj,
		Source: src,
	}
}

// K8sMeta gives the kind, namespace and name of a Kubernetes node's object.
func K8sMeta(n *Node) (kind, namespace, name string) {
	if n.Object == nil && n.Slim != nil {
		return n.Slim.Kind, n.Slim.Namespace, n.Slim.Name
	}
	kind, _ = n.Object["kind"].(string)
	meta, _ := n.Object["metadata"].(map[string]any)
	namespace, _ = meta["namespace"].(string)
	name, _ = meta["name"].(string)
	return
}

// IsK8s reports whether a node is a Kubernetes object (whole or slim).
func IsK8s(n *Node) bool {
	return strings.HasPrefix(n.Type, "k8s:") && (n.Object != nil || n.Slim != nil)
}

// PodTemplate returns the pod metadata and pod spec of a workload object, and
// the field path of the spec, or nil when the object carries no pod spec.
func PodTemplate(obj map[string]any) (meta, spec map[string]any, path string) {
	kind, _ := obj["kind"].(string)
	switch kind {
	case "Pod":
		meta, _ = obj["metadata"].(map[string]any)
		spec, _ = obj["spec"].(map[string]any)
		return meta, spec, "spec"
	case "CronJob":
		s, _ := obj["spec"].(map[string]any)
		jt, _ := s["jobTemplate"].(map[string]any)
		js, _ := jt["spec"].(map[string]any)
		t, _ := js["template"].(map[string]any)
		meta, _ = t["metadata"].(map[string]any)
		spec, _ = t["spec"].(map[string]any)
		return meta, spec, "spec.jobTemplate.spec.template.spec"
	default:
		if !WorkloadKinds[kind] && kind != "PodTemplate" {
			return nil, nil, ""
		}
		s, _ := obj["spec"].(map[string]any)
		if kind == "PodTemplate" {
			s = obj
		}
		t, _ := s["template"].(map[string]any)
		meta, _ = t["metadata"].(map[string]any)
		spec, _ = t["spec"].(map[string]any)
		return meta, spec, "spec.template.spec"
	}
}

// Labels returns metadata.labels of an object (or of a metadata map).
func Labels(meta map[string]any) map[string]string {
	l, _ := meta["labels"].(map[string]any)
	out := make(map[string]string, len(l))
	for k, v := range l {
		if s, ok := v.(string); ok {
			out[k] = s
		}
	}
	return out
}
