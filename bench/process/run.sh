#!/usr/bin/env bash
# The whole-process benchmark: builds the program, writes a manifest of N
# entry points, then runs the program RUNS times with GOMAXPROCS=1 and
# prints the medians of its wall time, CPU time (user + system, from
# /usr/bin/time) and peak RSS; then the same for the program exiting at
# once (-noop), the floor that starting any process costs on the machine.
#
#   bench/process/run.sh [N] [RUNS]      (defaults: 10000 and 21)
set -euo pipefail
cd "$(dirname "$0")/../.."
n="${1:-10000}"
runs="${2:-21}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

go build -o "$work/process" ./bench/process
"$work/process" -write "$work/manifests" -n "$n"
"$work/process" -run "$work/manifests" -n "$n" # warm the page cache

measure() { # label, then the program's arguments
	local label="$1"
	shift
	for _ in $(seq "$runs"); do
		start="$(date +%s%N)"
		GOMAXPROCS=1 /usr/bin/time -f '%U %S %M' -o "$work/time" "$work/process" "$@" >/dev/null
		end="$(date +%s%N)"
		read -r user sys rss <"$work/time"
		echo "$(((end - start) / 1000)) $user $sys $rss"
	done | awk -v label="$label" '
		function median(a, k) { asort(a); return a[int((k + 1) / 2)] }
		{ wall[NR] = $1 / 1000; cpu[NR] = ($2 + $3) * 1000; rss[NR] = $4 / 1024 }
		END {
			printf "%-28s wall %6.1f ms   cpu %5.0f ms   peak RSS %5.1f MiB   (medians of %d runs)\n",
				label, median(wall, NR), median(cpu, NR), median(rss, NR), NR
		}'
}
echo "GOMAXPROCS=1, $(nproc) cores"
measure "N=$n entry points" -run "$work/manifests" -n "$n"
measure "floor (-noop)" -noop
