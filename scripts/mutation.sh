#!/usr/bin/env bash
# Mutation testing of the library with gremlins: it changes the code one
# small way at a time (a < for a <=, a + for a -, a negated condition) and
# runs the tests; a change no test notices is a behaviour no test pins.
#
#   scripts/mutation.sh                 # the root package, entrypoints and internal/tomlx
#   scripts/mutation.sh ./entrypoints   # one of them
#   scripts/mutation.sh DIR FLAGS...    # one, with more flags for gremlins unleash
#
# It writes the results as JSON to mutation-NAME.json (not committed) and
# prints each mutant that lived, then the efficacy per package: killed /
# (killed + lived), counting as killed the mutants that TESTING.md lists as
# equivalent. TESTING.md gives the scores measured, how long runs take, and
# what to do about the root package, which takes hours whole.
#
# SAMPLE=N runs N mutants drawn at random (SEED=n draws others; MINUTES=m
# starts none after m minutes), and gives the efficacy with its 95%
# interval: for the root package, whose whole run takes hours on 2 cores.
#
# The timeout coefficient: gremlins gives each mutant's tests the time the
# first, unmutated run took, times the coefficient. That run is timed with
# the build cache warm; each mutant must still compile its package and
# link the tests, and on 2 cores two workers do so at once: with less than
# 20, or less than a minute, mutants that the tests kill time out instead.
# Vet is off: a mutant is killed by a test or not at all.
#
# A mutant can loop allocating (a bound turned off): every process the
# script starts may use 8 GiB of address space at most, so such a test
# binary dies instead of taking the machine's memory.
set -euo pipefail
cd "$(dirname "$0")/.."
ulimit -v $((8 << 20))
GREMLINS='github.com/go-gremlins/gremlins/cmd/gremlins@v0.5.0'
run() { # DIR [GREMLINS FLAGS...]: one package, its results in mutation-NAME.json
	local dir="$1" out
	shift
	out="mutation-$(basename "$(cd "$dir" && pwd)").json"
	[ "$(cd "$dir" && pwd)" != "$(pwd)" ] || out=mutation-root.json
	if [ -n "${SAMPLE:-}" ]; then
		# A random sample of SAMPLE mutants (SEED chooses which): gremlins
		# lists them, scripts/mutation-sample.py runs them.
		local list="${out%.json}-list.json"
		GOWORK=off go run "$GREMLINS" unleash --dry-run -o "$list" "$@" "$dir" >/dev/null
		python3 scripts/mutation-sample.py "$list" "$out" "$dir" "$SAMPLE" "${SEED:-1}" "${MINUTES:-}"
	else
		# Build once what gremlins times first, so that it times a build
		# cache as warm as the mutants find it; and never a cached result.
		local cover=() prev="" a
		for a in "$@"; do
			case "$prev" in --coverpkg | -coverpkg) cover=(-coverpkg "$a") ;; esac
			case "$a" in --coverpkg=* | -coverpkg=*) cover=(-coverpkg "${a#*=}") ;; esac
			prev="$a"
		done
		local goflags="${GOFLAGS:+$GOFLAGS }-vet=off -count=1" began took coefficient
		GOWORK=off GOFLAGS="$goflags" go test -cover "${cover[@]+"${cover[@]}"}" "$dir/..." >/dev/null
		# A quick package needs a larger coefficient: never less than a
		# minute for a mutant.
		began=$(date +%s%N)
		GOWORK=off GOFLAGS="$goflags" go test -cover "${cover[@]+"${cover[@]}"}" "$dir/..." >/dev/null
		took=$((($(date +%s%N) - began) / 1000000))
		coefficient=$(((60000 + took - 1) / took))
		coefficient=$((coefficient > 20 ? coefficient : 20))
		GOWORK=off GOFLAGS="$goflags" \
			go run "$GREMLINS" unleash --workers 2 --timeout-coefficient "$coefficient" -o "$out" "$@" "$dir"
	fi
	python3 - "$out" "$dir" TESTING.md <<'PY'
import json, math, os, re, sys, collections
out, pkg, doc = sys.argv[1:4]
prefix = os.path.normpath(pkg).lstrip("./")
prefix = prefix + "/" if prefix else ""
# The equivalent mutants TESTING.md lists, in rows that start
# | `path:line:col` | TYPE |
equivalent = set(re.findall(r"^\|\s*`([\w./-]+\.go:\d+:\d+)`\s*\|\s*([A-Z_]+)\s*\|", open(doc).read(), re.M))
r = json.load(open(out))
c = collections.Counter()
for f in r.get("files", []):
    if "/" in f["file_name"]:
        continue  # a package below this one: its mutants are not run
    for m in f.get("mutations", []):
        where = f'{prefix}{f["file_name"]}:{m["line"]}:{m["column"]}'
        status = m["status"]
        if status == "LIVED" and (where, m["type"]) in equivalent:
            status = "EQUIVALENT"
        c[status] += 1
        if status == "LIVED":
            print(f'LIVED {m["type"]} at {where}')
k, e, l = c["KILLED"], c["EQUIVALENT"], c["LIVED"]
print(f"{pkg}: efficacy {100*(k+e)/max(k+e+l, 1):.1f}% ({k} killed, {e} equivalent, {l} lived, "
      f"{c['TIMED OUT']} timed out, {c['NOT COVERED']} not covered, {c['NOT VIABLE']} not viable)")
if os.environ.get("SAMPLE") and k + e + l:
    # Wilson's 95% interval for the efficacy of all the package's mutants.
    n, p, z = k + e + l, (k + e) / (k + e + l), 1.96
    mid, half = p + z*z/(2*n), z*math.sqrt(p*(1-p)/n + z*z/(4*n*n))
    print(f"{pkg}: a sample of {n}: 95% interval {100*(mid-half)/(1+z*z/n):.1f}% to {100*(mid+half)/(1+z*z/n):.1f}%")
PY
}
if [ $# -gt 0 ]; then
	run "$@"
else
	# The root package alone: coverage only of it, so that the mutants of
	# the packages below it are not covered, and not run.
	run . --coverpkg github.com/stevedore-go/stevedore
	run ./entrypoints
	run ./internal/tomlx
fi
