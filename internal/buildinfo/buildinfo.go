// Package buildinfo says which version of kscan is running. Release builds
// set it with -ldflags; `go install github.com/kscan-io/kscan/cmd/kscan@vX`
// cannot, but the Go toolchain records the module version in the binary,
// so that is the fallback and such a build reports vX rather than "dev".
package buildinfo

import "runtime/debug"

// Version returns the -ldflags version when one was set (anything but
// "dev"), else the main module's version recorded by the toolchain, else
// "dev".
func Version(ldflags string) string {
	bi, ok := debug.ReadBuildInfo()
	return version(ldflags, bi, ok)
}

func version(ldflags string, bi *debug.BuildInfo, ok bool) string {
	if ldflags != "" && ldflags != "dev" {
		return ldflags
	}
	// "(devel)" is what a build inside the module's own tree records
	// without VCS information.
	if ok && bi != nil && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "dev"
}
