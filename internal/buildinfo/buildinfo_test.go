package buildinfo

import (
	"runtime/debug"
	"testing"
)

func TestVersion(t *testing.T) {
	mod := func(v string) *debug.BuildInfo {
		return &debug.BuildInfo{Main: debug.Module{Path: "github.com/kscan-io/kscan", Version: v}}
	}
	cases := []struct {
		name, ldflags string
		bi            *debug.BuildInfo
		ok            bool
		want          string
	}{
		{"ldflags win", "v1.2.3", mod("v9.9.9"), true, "v1.2.3"},
		{"go install @version", "dev", mod("v0.4.0"), true, "v0.4.0"},
		{"pseudo-version from a checkout", "dev", mod("v0.0.0-20261203070000-abcdef123456+dirty"), true, "v0.0.0-20261203070000-abcdef123456+dirty"},
		{"devel", "dev", mod("(devel)"), true, "dev"},
		{"no build info", "dev", nil, false, "dev"},
		{"empty ldflags", "", mod(""), true, "dev"},
	}
	for _, c := range cases {
		if got := version(c.ldflags, c.bi, c.ok); got != c.want {
			t.Errorf("%s: got %q, want %q", c.name, got, c.want)
		}
	}
}
