#!/usr/bin/env bash
# Installs what the graph export tests check kscan graph's output with:
# Graphviz (dot parses and lays out the DOT export) and networkx (reads the
# GraphML export), both from Debian (needs root and apt). Each is installed
# once; the tests skip without them locally and fail in CI.
set -euo pipefail
log() { echo "graph-tools: $*" >&2; }

want=()
command -v dot >/dev/null || want+=(graphviz)
python3 -c 'import networkx' 2>/dev/null || want+=(python3-networkx)
if [[ ${#want[@]} -eq 0 ]]; then
	exit 0
fi
if [[ $(id -u) == 0 ]] && command -v apt-get >/dev/null; then
	log "installing ${want[*]} (apt-get)"
	(apt-get install -y --no-install-recommends "${want[@]}" >/dev/null 2>&1 ||
		{ apt-get update >/dev/null 2>&1 && apt-get install -y --no-install-recommends "${want[@]}" >/dev/null; })
else
	log "${want[*]} not found and not root: the graph export tests will skip (fail in CI)"
fi
