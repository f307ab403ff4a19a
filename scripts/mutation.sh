#!/usr/bin/env bash
# Mutation testing of the library with gremlins: it changes the code one
# small way at a time (a < for a <=, a + for a -, a negated condition) and
# runs the tests; a change no test notices is a behaviour no test pins.
#
#   scripts/mutation.sh                 # the root package, entrypoints and internal/tomlx
#   scripts/mutation.sh ./entrypoints   # one of them
#
# It writes the results as JSON to mutation.json (not committed) and prints
# each mutant that lived, then the efficacy per package: killed / (killed +
# lived), counting as killed the mutants TESTING.md lists as equivalent.
# On a 2-core machine a whole run takes 20 to 40 minutes; the timeout
# coefficient leaves room for the race-free but slow process tests.
set -euo pipefail
cd "$(dirname "$0")/.."
GREMLINS='github.com/go-gremlins/gremlins/cmd/gremlins@v0.5.0'
run() { # DIR [GREMLINS FLAGS...]: one package, its results in mutation-NAME.json
	local dir="$1" out
	shift
	out="mutation-$(basename "$(cd "$dir" && pwd)").json"
	GOWORK=off go run "$GREMLINS" unleash --workers 2 --timeout-coefficient 10 -o "$out" "$@" "$dir"
	python3 - "$out" <<'PY'
import json, sys, collections
r = json.load(open(sys.argv[1]))
c = collections.Counter()
for f in r.get("files", []):
    for m in f.get("mutations", []):
        c[m["status"]] += 1
        if m["status"] == "LIVED":
            print(f'LIVED {m["type"]} at {f["file_name"]}:{m["line"]}:{m["column"]}')
k, l = c["KILLED"], c["LIVED"]
print(f"{sys.argv[1]}: efficacy {100*k/max(k+l, 1):.1f}% ({k} killed, {l} lived, {c['TIMED OUT']} timed out, {c['NOT COVERED']} not covered)")
PY
}
if [ $# -gt 0 ]; then
	run "$1"
else
	# The root package alone: coverage only of it, so that the mutants of
	# the packages below it are not covered, and not run.
	run . --coverpkg github.com/stevedore-go/stevedore
	run ./entrypoints
	run ./internal/tomlx
fi
