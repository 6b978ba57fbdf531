package graph

// Markers that stand in for values kscan does not (or must not) know, as
// collectors write them into objects and attributes: rules see a string
// where the value was; a secret is "set", an unknown (a value computed
// during a Pulumi preview) is neither set nor empty. They are defined here,
// beside the model, so that collectors, enrichment and the rule input agree
// on them without importing one another.
const (
	SecretMarker  = "[secret]"
	UnknownMarker = "[unknown]"
)

// IsMarker reports whether v is one of the markers.
func IsMarker(v any) bool {
	s, ok := v.(string)
	return ok && (s == SecretMarker || s == UnknownMarker)
}

// AttrK8sID keeps the Kubernetes identity (<ns>/<Kind>/<name>) of a node
// whose ID is something else (a Pulumi kubernetes:* resource, by URN), so
// live objects can be joined to it.
const AttrK8sID = "k8s_id"
