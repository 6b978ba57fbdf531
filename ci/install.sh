#!/usr/bin/env bash
# Installs a kscan release binary: downloads the archive for this OS and
# architecture and the release's checksums.txt, verifies the archive's
# SHA-256 against it, and only then unpacks kscan. Any mismatch, missing
# entry or failed download stops with an error and installs nothing.
# Used by the GitHub Action (action.yml); works in any CI.
#
#   KSCAN_VERSION=v0.1.0 bash ci/install.sh
#
# Environment:
#   KSCAN_VERSION       release to install (required, e.g. v0.1.0)
#   KSCAN_INSTALL_DIR   where kscan goes (default: $RUNNER_TOOL_CACHE/kscan/<version>/<arch>, else ~/.local/bin)
#   KSCAN_DOWNLOAD_URL  base URL of the release files (default: GitHub releases of kscan-io/kscan)
#   KSCAN_OS, KSCAN_ARCH  override the detected platform (linux|darwin|windows, amd64|arm64)
# Prints the directory holding kscan on stdout (and appends it to
# $GITHUB_PATH when that is set).
set -euo pipefail

die() { echo "kscan install: $*" >&2; exit 1; }

version=${KSCAN_VERSION:-}
[[ $version =~ ^v[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.-]+)?$ ]] || die "KSCAN_VERSION must be a release version like v0.1.0 (got '${version}')"

os=${KSCAN_OS:-}
if [[ -z $os ]]; then
	case "$(uname -s)" in
	Linux) os=linux ;;
	Darwin) os=darwin ;;
	MINGW* | MSYS* | CYGWIN* | Windows_NT) os=windows ;;
	*) die "unsupported OS $(uname -s)" ;;
	esac
fi
arch=${KSCAN_ARCH:-}
if [[ -z $arch ]]; then
	case "$(uname -m)" in
	x86_64 | amd64) arch=amd64 ;;
	aarch64 | arm64) arch=arm64 ;;
	*) die "unsupported architecture $(uname -m)" ;;
	esac
fi

base=${KSCAN_DOWNLOAD_URL:-https://github.com/kscan-io/kscan/releases/download/${version}}
base=${base%/}
ext=tar.gz
exe=kscan
if [[ $os == windows ]]; then
	ext=zip
	exe=kscan.exe
fi
archive="kscan_${version#v}_${os}_${arch}.${ext}"
dest=${KSCAN_INSTALL_DIR:-}
if [[ -z $dest ]]; then
	if [[ -n ${RUNNER_TOOL_CACHE:-} ]]; then
		dest="$RUNNER_TOOL_CACHE/kscan/${version}/${arch}"
	else
		dest="$HOME/.local/bin"
	fi
fi

# A binary already installed for this version (e.g. restored by a cache)
# is used as it is; it was verified when it was installed.
if [[ -x $dest/$exe && -f $dest/.kscan-${version}.sha256 ]]; then
	echo "kscan install: ${version} already in ${dest}" >&2
else
	tmp=$(mktemp -d)
	trap 'rm -rf "$tmp"' EXIT
	fetch() { curl --fail --silent --show-error --location --proto '=https,http' --connect-timeout 20 --max-time 300 --retry 3 -o "$2" "$1" || die "download of $1 failed"; }
	echo "kscan install: downloading ${archive} from ${base}" >&2
	fetch "$base/checksums.txt" "$tmp/checksums.txt"
	fetch "$base/$archive" "$tmp/$archive"

	want=$(awk -v f="$archive" '$2 == f || $2 == "*"f { print $1 }' "$tmp/checksums.txt")
	[[ $want =~ ^[0-9a-f]{64}$ ]] || die "checksums.txt has no SHA-256 for ${archive}"
	if command -v sha256sum >/dev/null; then
		got=$(sha256sum "$tmp/$archive" | awk '{print $1}')
	else
		got=$(shasum -a 256 "$tmp/$archive" | awk '{print $1}')
	fi
	[[ $got == "$want" ]] || die "checksum mismatch for ${archive}: expected ${want}, got ${got}; not installed"

	mkdir -p "$tmp/x"
	if [[ $ext == zip ]]; then
		unzip -q "$tmp/$archive" "$exe" -d "$tmp/x"
	else
		tar -xzf "$tmp/$archive" -C "$tmp/x" "$exe"
	fi
	mkdir -p "$dest"
	install -m 0755 "$tmp/x/$exe" "$dest/$exe"
	echo "$got  $archive" >"$dest/.kscan-${version}.sha256"
	echo "kscan install: ${version} (${os}/${arch}) verified and installed in ${dest}" >&2
fi

if [[ -n ${GITHUB_PATH:-} ]]; then
	echo "$dest" >>"$GITHUB_PATH"
fi
echo "$dest"
