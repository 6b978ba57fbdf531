#!/usr/bin/env bash
# make bench: benchmarks whose figures go into docs/benchmarks.md. Each
# section prints its own lines; sections for other sources follow the
# manifest one. Never part of make test.
set -euo pipefail
cd "$(dirname "$0")/.."
export KSCAN_TESTBIN="${KSCAN_TESTBIN:-$HOME/.cache/kscan-testbin}"
BIN=${KSCAN_BIN:-bin/kscan}
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

# BENCH_SECTIONS picks sections by name (manifests, analyzer, iam, live,
# parse, pulumi, rbac, registry); default all.
wanted() { [[ -z ${BENCH_SECTIONS:-} || " $BENCH_SECTIONS " == *" $1 "* ]]; }

# median wall seconds and the largest peak RSS (MiB) of RUNS runs of a
# command, from GNU time. A command that fails prints "failed".
RUNS=${BENCH_RUNS:-3}
measure() {
	local walls=() rss=0 i
	for ((i = 0; i < RUNS; i++)); do
		if ! /usr/bin/time -f "%e %M" "$@" 2>"$WORK/time" >/dev/null; then
			if ! grep -q "exited with non-zero status [01]$" "$WORK/time"; then
				echo "failed"; return
			fi
		fi
		read -r w m < <(tail -1 "$WORK/time")
		walls+=("$w")
		((m > rss)) && rss=$m
	done
	printf "%s %d\n" "$(printf "%s\n" "${walls[@]}" | sort -n | sed -n "$(((RUNS + 1) / 2))p")" $((rss / 1024))
}

# once NAME CMD...: one run of a command, its wall seconds and peak RSS
# (KiB) appended to $WORK/m.NAME ("failed" if it failed); summary NAME: the
# median wall seconds and largest peak RSS (MiB) of those runs. Commands
# compared side by side take turns (A B C A B C …), so a change in the load
# of a shared machine hits them alike instead of whichever ran then.
once() {
	local name=$1
	shift
	if ! /usr/bin/time -f "%e %M" "$@" 2>"$WORK/time" >/dev/null; then
		if ! grep -q "exited with non-zero status [01]$" "$WORK/time"; then
			echo failed >>"$WORK/m.$name"
			return
		fi
	fi
	tail -1 "$WORK/time" >>"$WORK/m.$name"
}
summary() {
	local f="$WORK/m.$1" n
	if [[ ! -s $f ]] || grep -q failed "$f"; then
		echo failed
		return
	fi
	n=$(wc -l <"$f")
	printf "%s %d\n" "$(cut -d' ' -f1 "$f" | sort -n | sed -n "$(((n + 1) / 2))p")" $(($(cut -d' ' -f2 "$f" | sort -n | tail -1) / 1024))
}

cell() { # "seconds MiB" -> "1.23 s, 456 MiB"
	[[ $1 == failed || -z $1 ]] && { echo "${1:-–}"; return; }
	read -r sec mib <<<"$1"
	echo "$sec s, $mib MiB"
}

go build -o "$WORK/yamldecode" ./hack/yamldecode
if wanted manifests; then
PEERS=$KSCAN_TESTBIN
TRIVY_MAX=${BENCH_TRIVY_MAX:-10000} # Trivy needs minutes per 10k objects
echo "== manifests: kscan scan on a synthetic cluster (deployments, services, RBAC), $RUNS runs each, median"
echo "   yaml.v3 1t = reading and decoding the same files with yaml.v3 on one thread (hack/yamldecode -threads 1): the floor of issue #20"
echo "   yaml.v3 2c = the same on every core (as many goroutines as kscan uses)"
echo "   x floor = kscan / yaml.v3 1t; ks/kscan = kube-score / kscan (wall medians; the commands of a row take turns, run by run)"
[[ -x $PEERS/kube-score ]] || echo "   (kube-score and trivy are compared when built: make bench-peers)"
echo "   tidy = hack/synth (about 0.35 findings per object); messy = hack/synth -messy (40% of apps faulty, about 0.7 findings per object)"
printf "%-6s %-8s | %-18s | %-10s | %-16s | %-16s | %-7s | %-18s | %-8s | %-18s\n" shape objects kscan objects/s "yaml.v3 1t" "yaml.v3 2c" "x floor" kube-score ks/kscan trivy
for shape in ${BENCH_SHAPES:-tidy messy}; do
for n in ${BENCH_SIZES:-1000 10000 50000}; do
	flags=()
	[[ $shape == messy ]] && flags=(-messy)
	go run ./hack/synth -n "$n" "${flags[@]}" -out "$WORK/synth-$n"
	rm -f "$WORK"/m.*
	for ((i = 0; i < RUNS; i++)); do
		once k "$BIN" scan "$WORK/synth-$n" --fail-on none --format json --output /dev/null
		once y1 "$WORK/yamldecode" -threads 1 "$WORK/synth-$n"
		once y "$WORK/yamldecode" "$WORK/synth-$n"
		if [[ -x $PEERS/kube-score ]]; then
			once ks sh -c "exec '$PEERS/kube-score' score -o json '$WORK/synth-$n'/*.yaml"
		fi
	done
	k=$(summary k)
	y1=$(summary y1)
	y=$(summary y)
	read -r ksec _ <<<"$k"
	read -r y1sec _ <<<"$y1"
	ks=– ksx=–
	if [[ -x $PEERS/kube-score ]]; then
		ksm=$(summary ks)
		ks=$(cell "$ksm")
		read -r kssec _ <<<"$ksm"
		[[ $kssec != failed ]] && ksx=$(printf "%.1fx" "$(echo "$kssec / $ksec" | bc -l)")
	fi
	tv=–
	if [[ -x $PEERS/trivy && $n -le $TRIVY_MAX ]]; then
		export TRIVY_CACHE_DIR="$WORK/trivy-cache"
		tv=$(cell "$(RUNS=1 measure "$PEERS/trivy" config --skip-check-update --quiet --format json "$WORK/synth-$n")")
	fi
	printf "%-6s %-8s | %-18s | %-10.0f | %-16s | %-16s | %-7s | %-18s | %-8s | %-18s\n" "$shape" "$n" "$(cell "$k")" "$(echo "$n / $ksec" | bc -l)" \
		"$(cell "$y1")" "$(cell "$y")" "$(printf "%.1fx" "$(echo "$ksec / $y1sec" | bc -l)")" "$ks" "$ksx" "$tv"
	rm -rf "$WORK/synth-$n"
done
done
fi

for extra in hack/bench.d/*.sh; do
	[[ -e $extra ]] || continue
	wanted "$(basename "$extra" .sh)" || continue
	echo
	bash "$extra"
done
