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
