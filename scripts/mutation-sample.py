#!/usr/bin/env python3
"""Run a random sample of a package's mutants, for a package too large to
run whole (see TESTING.md): scripts/mutation.sh runs it when SAMPLE is set.

    mutation-sample.py LIST OUT DIR N SEED [MINUTES]

LIST is what gremlins --dry-run wrote: every mutant, RUNNABLE when tests
cover it. N of those are drawn at random (SEED makes the draw repeatable),
each is applied to a copy of the module, and the package's tests are run
against it, two at a time. OUT gets the results in the form gremlins
writes them, with the status of each mutant run. With MINUTES, no mutant
starts after that long: the mutants run are a smaller random sample.

Each mutant is the change gremlins makes of the token at its position.
"""
import concurrent.futures
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time

# What gremlins' default mutators turn each token into.
SWAP = {
    "CONDITIONALS_BOUNDARY": {"<": "<=", "<=": "<", ">": ">=", ">=": ">"},
    "CONDITIONALS_NEGATION": {"==": "!=", "!=": "==", "<": ">=", "<=": ">", ">": "<=", ">=": "<"},
    "ARITHMETIC_BASE": {"+": "-", "-": "+", "*": "/", "/": "*", "%": "*"},
    "INCREMENT_DECREMENT": {"++": "--", "--": "++"},
    "INVERT_NEGATIVES": {"-": "+"},
}
WORKERS = 2
COEFFICIENT = 10  # as scripts/mutation.sh gives gremlins


def copy_module(root, dest):
    shutil.copytree(root, dest, ignore=shutil.ignore_patterns(".git", "examples", "mutation*.json"))


def go_test(mod, pkg, timeout):
    """Runs the package's tests; returns KILLED, LIVED or TIMED OUT."""
    env = dict(os.environ, GOWORK="off", GOFLAGS=(os.environ.get("GOFLAGS", "") + " -vet=off").strip())
    # A process group of its own: on a timeout the test binary that go
    # test started dies with it, instead of running on.
    p = subprocess.Popen(["go", "test", "-failfast", "-count=1", pkg], cwd=mod, env=env,
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        code = p.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, signal.SIGKILL)
        p.wait()
        return "TIMED OUT"
    return "LIVED" if code == 0 else "KILLED"


def mutate(path, line, col, kind):
    """Applies the mutation and returns the original text, or None when
    the token is not there."""
    text = open(path).read()
    lines = text.split("\n")
    src = lines[line - 1]
    for tok in sorted(SWAP[kind], key=len, reverse=True):
        if src.startswith(tok, col - 1):
            lines[line - 1] = src[:col - 1] + SWAP[kind][tok] + src[col - 1 + len(tok):]
            open(path, "w").write("\n".join(lines))
            return text
    return None


def main():
    listing, out, pkg, n, seed = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
    minutes = float(sys.argv[6]) if len(sys.argv) > 6 and sys.argv[6] else 0
    pkgdir = os.path.normpath(pkg)
    report = json.load(open(listing))
    runnable = []
    for f in report["files"]:
        if "/" in f["file_name"]:
            continue  # a package below this one
        for m in f["mutations"]:
            if m["status"] == "RUNNABLE":
                runnable.append((f["file_name"], m))
    sample = random.Random(seed).sample(runnable, min(n, len(runnable)))
    print(f"{len(runnable)} mutants are covered; running {len(sample)} of them", flush=True)

    work = tempfile.mkdtemp(prefix="mutation-sample-")
    try:
        mods = []
        for i in range(WORKERS):
            mod = os.path.join(work, str(i))
            copy_module(os.getcwd(), mod)
            mods.append(mod)
        began = time.monotonic()
        if go_test(mods[0], "./" + pkgdir, None) != "LIVED":
            sys.exit("the tests fail without any mutant")
        timeout = max(COEFFICIENT * (time.monotonic() - began), 60)
        deadline = began + 60 * minutes if minutes else None

        free = list(mods)
        results = {}
        json.dump({"files": []}, open(out, "w"))

        def run(item):
            name, m = item
            if deadline and time.monotonic() > deadline:
                return item, None  # out of time: not run
            mod = free.pop()
            try:
                path = os.path.join(mod, pkgdir, name)
                orig = mutate(path, m["line"], m["column"], m["type"])
                if orig is None:
                    return item, "NOT VIABLE"
                try:
                    return item, go_test(mod, "./" + pkgdir, timeout)
                finally:
                    open(path, "w").write(orig)
            finally:
                free.append(mod)

        # The sample is in random order, and the results are written as
        # they come: a run stopped early leaves a smaller random sample.
        with concurrent.futures.ThreadPoolExecutor(WORKERS) as pool:
            for (name, m), status in pool.map(run, sample):
                if status is None:
                    continue
                results.setdefault(name, []).append(dict(m, status=status))
                print(f'{status:>12} {m["type"]} at {name}:{m["line"]}:{m["column"]}', flush=True)
                json.dump({"files": [{"file_name": k, "mutations": v} for k, v in sorted(results.items())]},
                          open(out, "w"), indent=1)
    finally:
        shutil.rmtree(work)


main()
