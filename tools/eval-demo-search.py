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
    present = {(o["colour"], o["shape"]) for l in labels.values() for o in l["objects"]}
    asked, wrong_first, no_strong, right_but_weak = 0, [], [], []
    for colour in COLOURS:
        for shape in SHAPES:
            if (colour, shape) not in present:
                continue
            asked += 1
            query = ("an " if colour[0] in "aeiou" else "a ") + f"{colour} {shape}"
            first = run("search", query, "--limit", "1")["results"][0]
            objects = labels[os.path.basename(first["path"])]["objects"]
            right = any(o["colour"] == colour and o["shape"] == shape for o in objects)
            strong = run("search", query, "--limit", "1", "--cutoff")["results"]
            if not right:
                wrong_first.append(f"{colour} {shape}")
            if not strong:
                no_strong.append(f"{colour} {shape}")
            if right and not (strong and strong[0]["path"] == first["path"]):
                right_but_weak.append(f"{colour} {shape}")
    return {"library": spec, "asked": asked, "first": asked - len(wrong_first),
            "strong": asked - len(no_strong), "right_but_weak": len(right_but_weak),
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
