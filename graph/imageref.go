package graph

import "strings"

// ImageRef is a parsed container image reference, normalised the way the
// container runtime resolves it (docker.io and library/ defaults).
type ImageRef struct {
	Raw        string `json:"raw"`
	Registry   string `json:"registry"`
	Repository string `json:"repository"`
	Tag        string `json:"tag"`              // "" when the reference has none
	Digest     string `json:"digest,omitempty"` // "sha256:…" when pinned
}

// ParseImageRef splits an image reference. It never fails: a malformed
// reference yields what could be read, and rules judge the parts. It is not
// built on go-containerregistry's name package, which validates (rejecting
// digests and names the image rules must still take apart) and normalises
// differently (index.docker.io, an implicit "latest", no tag beside a
// digest); TestParseImageRef pins the differences on real references.
func ParseImageRef(s string) ImageRef {
	r := ImageRef{Raw: s}
	rest := strings.TrimSpace(s)
	if i := strings.Index(rest, "@"); i >= 0 {
		r.Digest = rest[i+1:]
		rest = rest[:i]
	}
	// The registry is the first component when it looks like a host: it has
	// a dot or a port, or is localhost. A colon there is a port, not a tag.
	name := rest
	if i := strings.Index(rest, "/"); i >= 0 {
		first := rest[:i]
		if strings.ContainsAny(first, ".:") || first == "localhost" {
			r.Registry = first
			name = rest[i+1:]
		}
	}
	if i := strings.LastIndex(name, ":"); i >= 0 {
		r.Tag = name[i+1:]
		name = name[:i]
	}
	if r.Registry == "" {
		r.Registry = "docker.io"
		if !strings.Contains(name, "/") && name != "" {
			name = "library/" + name
		}
	}
	r.Repository = name
	return r
}

// RepositoryID is the identity of the registry repository an image lives
// in: <host>/<repo>.
func (r ImageRef) RepositoryID() string { return r.Registry + "/" + r.Repository }
