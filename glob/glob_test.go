package glob

import "testing"

func TestMatch(t *testing.T) {
	tests := []struct {
		p, s string
		want bool
	}{
		{"k8s/*", "k8s/image-tag-latest", true},
		{"*", "rbac/pod-exec", true},
		{"k8s/image-*", "k8s/image-not-pinned", true},
		{"k8s/image-*", "k8s/host-path", false},
		{"payments/Deployment/*", "payments/Deployment/api", true},
		{"payments/Deployment/*", "shop/Deployment/api", false},
		{"arn:aws:iam::*:role/admin-?", "arn:aws:iam::123:role/admin-1", true},
		{"exact", "exact", true},
		{"exact", "exactly", false},
	}
	for _, tt := range tests {
		if got := Match(tt.p, tt.s); got != tt.want {
			t.Errorf("Match(%q, %q) = %v, want %v", tt.p, tt.s, got, tt.want)
		}
	}
}
