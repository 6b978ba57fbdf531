#!/usr/bin/env bash
# Installs what the report tests check kscan's reports with, into the test
# component cache ($KSCAN_TESTBIN): Microsoft's SARIF validator
# (@microsoft/sarif-multitool, with GitHub's ingestion rules) and axe-core
# from npm, and headless Chromium from Debian (needs root and apt). Each is
# installed once; the tests skip without them locally and fail in CI.
set -euo pipefail

SARIF_MULTITOOL_VERSION=5.7.0
AXE_CORE_VERSION=4.14.1

BIN_DIR="${KSCAN_TESTBIN:-${XDG_CACHE_HOME:-$HOME/.cache}/kscan-testbin}"
NODE_DIR="$BIN_DIR/node"
mkdir -p "$NODE_DIR"
log() { echo "report-tools: $*" >&2; }

stamp="$NODE_DIR/.versions"
want="sarif-multitool $SARIF_MULTITOOL_VERSION axe-core $AXE_CORE_VERSION"
if [[ ! -f $stamp || $(cat "$stamp") != "$want" ]]; then
	if command -v npm >/dev/null; then
		log "installing @microsoft/sarif-multitool@$SARIF_MULTITOOL_VERSION and axe-core@$AXE_CORE_VERSION into $NODE_DIR"
		npm install --silent --no-audit --no-fund --prefix "$NODE_DIR" \
			"@microsoft/sarif-multitool@$SARIF_MULTITOOL_VERSION" "axe-core@$AXE_CORE_VERSION" >&2
		echo "$want" >"$stamp"
	else
		log "npm not found: SARIF validator and axe-core not installed"
	fi
fi

if ! command -v chromium >/dev/null && ! command -v chromium-browser >/dev/null; then
	if [[ $(id -u) == 0 ]] && command -v apt-get >/dev/null; then
		log "installing chromium (apt-get)"
		(apt-get install -y --no-install-recommends chromium >/dev/null 2>&1 ||
			{ apt-get update >/dev/null 2>&1 && apt-get install -y --no-install-recommends chromium >/dev/null; })
	else
		log "chromium not found and not root: the HTML report's browser tests will skip (fail in CI)"
	fi
fi
