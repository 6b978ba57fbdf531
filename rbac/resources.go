package rbac

import "strings"

// builtinGroups maps the plural resources of Kubernetes' built-in API
// (v1.37) to their API group, so that `who-can get deployments` needs no
// ".apps". Resources served by several groups map to the current one.
var builtinGroups = map[string]string{
	"bindings": "", "componentstatuses": "", "configmaps": "", "endpoints": "", "events": "", "limitranges": "",
	"namespaces": "", "nodes": "", "persistentvolumeclaims": "", "persistentvolumes": "", "pods": "",
	"podtemplates": "", "replicationcontrollers": "", "resourcequotas": "", "secrets": "", "serviceaccounts": "",
	"services":                      "",
	"mutatingwebhookconfigurations": "admissionregistration.k8s.io", "validatingwebhookconfigurations": "admissionregistration.k8s.io",
	"validatingadmissionpolicies": "admissionregistration.k8s.io", "validatingadmissionpolicybindings": "admissionregistration.k8s.io",
	"mutatingadmissionpolicies": "admissionregistration.k8s.io", "mutatingadmissionpolicybindings": "admissionregistration.k8s.io",
	"customresourcedefinitions": "apiextensions.k8s.io", "apiservices": "apiregistration.k8s.io",
	"controllerrevisions": "apps", "daemonsets": "apps", "deployments": "apps", "replicasets": "apps", "statefulsets": "apps",
	"selfsubjectreviews": "authentication.k8s.io", "tokenreviews": "authentication.k8s.io",
	"localsubjectaccessreviews": "authorization.k8s.io", "selfsubjectaccessreviews": "authorization.k8s.io",
	"selfsubjectrulesreviews": "authorization.k8s.io", "subjectaccessreviews": "authorization.k8s.io",
	"horizontalpodautoscalers": "autoscaling", "cronjobs": "batch", "jobs": "batch",
	"certificatesigningrequests": "certificates.k8s.io", "clustertrustbundles": "certificates.k8s.io",
	"leases": "coordination.k8s.io", "endpointslices": "discovery.k8s.io",
	"flowschemas": "flowcontrol.apiserver.k8s.io", "prioritylevelconfigurations": "flowcontrol.apiserver.k8s.io",
	"ingressclasses": "networking.k8s.io", "ingresses": "networking.k8s.io", "networkpolicies": "networking.k8s.io",
	"ipaddresses": "networking.k8s.io", "servicecidrs": "networking.k8s.io",
	"runtimeclasses": "node.k8s.io", "poddisruptionbudgets": "policy",
	"clusterrolebindings": "rbac.authorization.k8s.io", "clusterroles": "rbac.authorization.k8s.io",
	"rolebindings": "rbac.authorization.k8s.io", "roles": "rbac.authorization.k8s.io",
	"deviceclasses": "resource.k8s.io", "resourceclaims": "resource.k8s.io", "resourceclaimtemplates": "resource.k8s.io",
	"resourceslices": "resource.k8s.io", "priorityclasses": "scheduling.k8s.io",
	"csidrivers": "storage.k8s.io", "csinodes": "storage.k8s.io", "csistoragecapacities": "storage.k8s.io",
	"storageclasses": "storage.k8s.io", "volumeattachments": "storage.k8s.io", "volumeattributesclasses": "storage.k8s.io",
}

// ParseResource reads "pods", "pods/log", "deployments.apps",
// "deployments.apps/scale", "widgets.example.com" or "*" into a resource,
// its API group and a subresource. A built-in resource without a group
// gets its group; any other resource without a dot is in the core group.
// A value starting with "/" is a non-resource URL (returned as path).
func ParseResource(s string) (group, resource, sub, path string) {
	if strings.HasPrefix(s, "/") {
		return "", "", "", s
	}
	res, sub, _ := strings.Cut(s, "/")
	resource, group, dotted := strings.Cut(res, ".")
	if !dotted {
		group = builtinGroups[strings.ToLower(resource)]
	}
	return group, resource, sub, ""
}
