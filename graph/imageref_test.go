package graph

import "testing"

func TestParseImageRef(t *testing.T) {
	tests := []struct {
		in                         string
		registry, repo, tag, digst string
	}{
		{"nginx", "docker.io", "library/nginx", "", ""},
		{"nginx:latest", "docker.io", "library/nginx", "latest", ""},
		{"nginx:1.27", "docker.io", "library/nginx", "1.27", ""},
		{"bitnami/redis:7", "docker.io", "bitnami/redis", "7", ""},
		{"host:5000/app", "host:5000", "app", "", ""},
		{"host:5000/team/app:v2", "host:5000", "team/app", "v2", ""},
		{"localhost/app:1", "localhost", "app", "1", ""},
		{"123456789012.dkr.ecr.eu-west-1.amazonaws.com/api@sha256:abc", "123456789012.dkr.ecr.eu-west-1.amazonaws.com", "api", "", "sha256:abc"},
		{"ghcr.io/org/app:1.0@sha256:def", "ghcr.io", "org/app", "1.0", "sha256:def"},
		// Real references from the fixtures where go-containerregistry's
		// name package reads something else (why imageref.go is not built on
		// it): it rewrites docker.io to index.docker.io, adds "latest" when no
		// tag is written, drops the tag of tag@digest, and rejects digests
		// and names kscan must still take apart for the image rules.
		{"docker.io/library/nginx:latest", "docker.io", "library/nginx", "latest", ""},
		{"docker.io/istio/proxyv2:1.24.0", "docker.io", "istio/proxyv2", "1.24.0", ""},
		{"k8s.gcr.io/busybox", "k8s.gcr.io", "busybox", "", ""},
		{"registry.k8s.io/ingress-nginx/controller:v1.15.1@sha256:594ceea76b01c592858f803f9ff4d2cb40542cae2060410b2c95f75907d659e1",
			"registry.k8s.io", "ingress-nginx/controller", "v1.15.1", "sha256:594ceea76b01c592858f803f9ff4d2cb40542cae2060410b2c95f75907d659e1"},
		{"nginx@sha512:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "docker.io", "library/nginx", "", "sha512:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"},
		{"nginx@blake3:aaaa", "docker.io", "library/nginx", "", "blake3:aaaa"},
		{"nginx@sha256:AAAA", "docker.io", "library/nginx", "", "sha256:AAAA"},
		{"{{", "docker.io", "library/{{", "", ""},
		// As written: an explicit docker.io gets no "library/" (the runtime
		// would add it; repository ids in reports depend on this).
		{"docker.io/nginx", "docker.io", "nginx", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			r := ParseImageRef(tt.in)
			if r.Registry != tt.registry || r.Repository != tt.repo || r.Tag != tt.tag || r.Digest != tt.digst {
				t.Errorf("ParseImageRef(%q) = %+v", tt.in, r)
			}
		})
	}
}
