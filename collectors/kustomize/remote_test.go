package kustomize

import "testing"

func TestIsRemote(t *testing.T) {
	tests := map[string]bool{
		"base":                        false,
		"../base":                     false,
		"deployment.yaml":             false,
		"http://example.com/x.yaml":   true,
		"HTTPS://example.com/x.yaml":  true,
		"git::https://host/org/repo":  true,
		"GIT::host/org/repo":          true,
		"ssh://git@host/org/repo":     true,
		"file:///tmp/repo":            true,
		"git@github.com:org/repo.git": true,
		"github.com/org/repo//dir":    true,
		"github.com:org/repo":         true,
		"k=http://x/f":                true, // a generator entry key=URL
	}
	for in, want := range tests {
		if got := isRemote(in); got != want {
			t.Errorf("isRemote(%q) = %v, want %v", in, got, want)
		}
	}
}
