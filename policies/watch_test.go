package policies

import (
	"slices"
	"testing"
)

func TestParseWatch(t *testing.T) {
	for _, tc := range []struct {
		name    string
		in      any
		want    Watch
		wantErr bool
	}{
		{"absent", nil, Watch{}, false},
		{"namespace", "namespace", Watch{Namespace: true}, false},
		{"types", []any{"k8s:core/ServiceAccount", "k8s:rbac.authorization.k8s.io/Role"}, Watch{Types: []string{"k8s:core/ServiceAccount", "k8s:rbac.authorization.k8s.io/Role"}}, false},
		{"unknown word", "cluster", Watch{}, true},
		{"empty list", []any{}, Watch{}, true},
		{"list with a number", []any{"k8s:core/Pod", 3}, Watch{}, true},
		{"object", map[string]any{"namespace": true}, Watch{}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseWatch(tc.in)
			if (err != nil) != tc.wantErr {
				t.Fatalf("error %v, want error %v", err, tc.wantErr)
			}
			if got.Namespace != tc.want.Namespace || !slices.Equal(got.Types, tc.want.Types) {
				t.Errorf("got %+v, want %+v", got, tc.want)
			}
		})
	}
}
