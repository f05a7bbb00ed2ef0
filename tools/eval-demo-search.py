#!/usr/bin/python3
"""eval-demo-search.py: what search shows a user for each colour+shape description.

    eval-demo-search.py --cli build/src/cli/spyglass-cli --model DIR [SEED:COUNT:HELD_OUT …]

For each library (tools/demo-scenes.py with that seed, scene count and
--held-out choice; default the four below), indexes it with spyglass-cli and
the model, then asks "a red circle", "an orange star", … for every pair the
library holds and counts:

- first: the first result holds an object of that colour and shape;
- strong: the query has at least one strong match (the relevance rule of
  src/search/search-relevance.h; everything else is under "weaker matches");
- right_but_weak: the first result is right but not a strong match (a user
  is told there is none; tests/test-demo-search.py fails on any).

Libraries and databases are made in a temporary folder unless --keep DIR.
A developer tool (numpy and PIL for the scenes); the suite's version of this
check is tests/test-demo-search.py.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile

TOOLS = os.path.dirname(os.path.abspath(__file__))
COLOURS = ["red", "green", "blue", "yellow", "orange", "purple", "white", "black"]
SHAPES = ["circle", "square", "triangle", "star"]
# The test library (seed 4242), the README's demo library (seed 7) and two more.
DEFAULT_LIBRARIES = ["4242:240:any", "7:200:exclude", "5151:240:any", "6161:240:any"]


def queries(labels):
    """Every colour+shape pair some picture of the library holds, in COLOURS × SHAPES order."""
    present = {(o["colour"], o["shape"]) for l in labels.values() for o in l["objects"]}
    return [(c, s) for c in COLOURS for s in SHAPES if (c, s) in present]


def ask(run, labels, colour, shape):
    """Search "a red circle" and judge the first result against the library's labels.

    run(*args): spyglass-cli's JSON for those arguments, on the library's
    database. Two searches, with and without --cutoff, since cli.md's results
    are {path, score} only. Returns right (the first result holds that colour
    and shape), right_colour (it holds that colour), any_strong (some result
    is a strong match) and first_strong (the first result is one).
    """
    query = ("an " if colour[0] in "aeiou" else "a ") + f"{colour} {shape}"
    results = run("search", query, "--limit", "1")["results"]
    strong = run("search", query, "--limit", "1", "--cutoff")["results"]
    objects = labels[os.path.basename(results[0]["path"])]["objects"] if results else []
    return {"query": query,
            "right": any(o["colour"] == colour and o["shape"] == shape for o in objects),
            "right_colour": any(o["colour"] == colour for o in objects),
            "any_strong": bool(strong),
            "first_strong": bool(strong) and strong[0]["path"] == results[0]["path"]}


def measure(cli, model, spec, work):
    seed, count, held_out = spec.split(":")
    folder = os.path.join(work, f"library-{seed}-{count}-{held_out}")
    db = os.path.join(work, f"{os.path.basename(model.rstrip('/'))}-{seed}-{count}-{held_out}.db")
    if not os.path.exists(folder):
        subprocess.run([sys.executable, os.path.join(TOOLS, "demo-scenes.py"), "--count", count,
                        "--seed", seed, "--held-out", held_out, "--out", folder],
                       check=True, capture_output=True)
    with open(os.path.join(folder, "captions.jsonl")) as f:
        labels = {s["file"]: s["labels"] for s in map(json.loads, f)}

    def run(*args):
        out = subprocess.run([cli, "--db", db, "--model", model, "--json", *args],
                             capture_output=True, text=True, check=True)
        return json.loads(out.stdout)

    if not os.path.exists(db):
        run("index", folder)
    answers = [ask(run, labels, colour, shape) for colour, shape in queries(labels)]

    def which(test):
        return [x["query"] for x in answers if test(x)]

    wrong_first = which(lambda x: not x["right"])
    no_strong = which(lambda x: not x["any_strong"])
    right_but_weak = which(lambda x: x["right"] and not x["first_strong"])
    return {"library": spec, "asked": len(answers), "first": len(answers) - len(wrong_first),
            "strong": len(answers) - len(no_strong), "right_but_weak": len(right_but_weak),
            "wrong_first": wrong_first, "no_strong": no_strong, "right_first_weak": right_but_weak}

def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--cli", required=True)
    p.add_argument("--model", required=True)
    p.add_argument("--keep", metavar="DIR", help="make libraries and databases here and keep them")
    p.add_argument("libraries", nargs="*", default=DEFAULT_LIBRARIES, metavar="SEED:COUNT:HELD_OUT")
    a = p.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        work = a.keep or tmp
        os.makedirs(work, exist_ok=True)
        rows = [measure(a.cli, a.model, spec, work) for spec in a.libraries]
    total = {k: sum(r[k] for r in rows) for k in ("asked", "first", "strong", "right_but_weak")}
    json.dump({"libraries": rows, "total": total}, sys.stdout, indent=2)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
