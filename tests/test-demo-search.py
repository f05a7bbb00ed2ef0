#!/usr/bin/python3
"""test-demo-search.py: search, find-similar and auto-albums answer right on a demo library.

    test-demo-search.py SPYGLASS_CLI      (or SPYGLASS_CLI in the environment)

Issue 6's proof with the demo model: renders a fresh library of demo scenes
(tools/demo-scenes.py, whose captions.jsonl holds each picture's true labels),
indexes it with spyglass-cli and the bundled model, then measures through the
CLI's JSON (../shared/docs/cli.md):

- search: for every colour+shape description ("a red circle", "an orange star"), does the first
  result hold that colour, and that colour and shape? Is a right first result a strong
  match (the relevance rule that hides the rest under "weaker matches")?
- similar: for pictures of single objects, is the first result a picture of
  the same scene type: one that agrees on at least three of the four things
  a caption says of a scene (object colour, shape, count and kind of
  background; position and size aside)? Measured beside a random picture of
  the library, which agrees that well about one time in ten.
- albums: each auto-album's precision and recall against the labels.

Prints every figure and fails when one falls below the floors below.
Needs Debian's python3-numpy and python3-pil (scene rendering), never torch.
Exits 77 (skipped) without them or without data/models/demo.
"""

import json
import os
import subprocess
import sys
import tempfile

from demo_test_common import MODEL_DIR, SOURCE_DIR, cli_or_exit_code, load_tool
SCENES = 240
SEED = 4242
PLAIN = {"red", "green", "blue", "yellow", "orange", "purple", "white", "black"}

# Issue 6 asks for "a matching picture first for nearly all" colour+shape
# queries. The demo model (twelfth attempt, 2026-11-29) puts the asked
# colour and shape first for 32 of 32 queries here (123 of 124 over the
# four libraries of tools/eval-demo-search.py); the eleventh attempt's
# weights, shipped before, put 24 first and fail the floor below. The asked
# colour being first has its own floor.
# Queries whose pair the library does not hold are not asked.
MIN_SEARCH_COLOUR_TOP1 = 0.85
MIN_SEARCH_PAIR_TOP1 = 0.9
# A right first result must be a strong match: a user who types "a red
# circle" and finds the red circle under "weaker matches" has been told there
# is none. A model once did that to "a red circle" on the README's demo
# library while every top-1 figure here stayed put. A wrong first result may
# be weak (that is the relevance rule working), so queries whose first result
# is wrong are not held to it; how many queries have any strong match is
# reported.
MIN_RIGHT_FIRST_STRONG = 1.0
# The demo model's image space is organised by shape and count first
# (a first neighbour shares the count 85 % and the shape 75 % of the time,
# the colour 43 %), so "same scene type" is three of the four attributes,
# not a fixed pair; measured 65 % on 2026-11-27, against ~10 % for a random
# picture.
MIN_SIMILAR_TOP1 = 0.5
SCENE_ATTRIBUTES = ["colour", "shape", "count", "background kind"]
# Colour, shape and background albums must be both precise and complete;
# count albums are reported only ("Two Objects" also takes many threes).
# The library holds the held-out colour+shape pairs too, which the model
# names less well (yellow circles and red triangles are half of the Orange
# album's strays: precision 0.62, the lowest, on 2026-11-27).
MIN_ALBUM_PRECISION = 0.6
MIN_ALBUM_RECALL = 0.55
CHECKED_GROUPS = {"colour", "shape", "background"}


def run_cli(cli, db, *args):
    cmd = [cli, "--db", db, "--model", MODEL_DIR, "--json", *args]
    out = subprocess.run(cmd, capture_output=True, text=True)
    if out.returncode != 0:
        raise SystemExit(f"FAIL: {' '.join(cmd)}: {out.stderr.strip()}")
    return json.loads(out.stdout)


def background_kind(labels):
    return "plain" if labels["background"] in PLAIN else labels["background"]


def album_predicate(name, group):
    """The labels an album's name stands for, as a predicate on a scene's labels."""
    word = name.lower()
    if group == "colour":
        return lambda l: any(o["colour"] == word for o in l["objects"])
    if group == "shape":
        shape = word.rstrip("s")
        return lambda l: any(o["shape"] == shape for o in l["objects"])
    if group == "count":
        n = {"one object": 1, "two objects": 2, "three objects": 3}[word]
        return lambda l: not l["mixed"] and l["count"] == n
    if group == "background":
        kind = {"plain backgrounds": "plain", "landscapes": "landscape", "night skies": "night"}[word]
        return lambda l: background_kind(l) == kind
    return None


def check_search(cli, db, labels_of):
    # The per-query judgement is the developer tool's, so both count alike.
    search_tool = load_tool("eval-demo-search.py")
    answers = [search_tool.ask(lambda *args: run_cli(cli, db, *args), labels_of, colour, shape)
               for colour, shape in search_tool.queries(labels_of)]
    asked = len(answers)
    colour_hits = sum(x["right_colour"] for x in answers)
    right = [x for x in answers if x["right"]]
    misses = [x["query"] for x in answers if not x["right"]]
    disowned = [x["query"] for x in right if not x["first_strong"]]
    with_strong = sum(x["any_strong"] for x in answers)
    rate = colour_hits / max(asked, 1)
    print(f"search: the asked colour first for {colour_hits}/{asked} colour+shape queries ({rate:.1%}), "
          f"colour and shape first for {len(right)}/{asked} (min {MIN_SEARCH_PAIR_TOP1}; "
          f"missed: {', '.join(misses) or 'none'})")
    print(f"search: the right first result is a strong match for {len(right) - len(disowned)}/{len(right)} queries"
          f"{' (weaker for: ' + ', '.join(disowned) + ')' if disowned else ''}; "
          f"{with_strong}/{asked} queries have a strong match (reported only)")
    return rate, len(right) / max(asked, 1), (len(right) - len(disowned)) / max(len(right), 1)


def scene_attributes(labels):
    """What a caption says of a single-kind scene, as SCENE_ATTRIBUTES."""
    return (labels["objects"][0]["colour"], labels["objects"][0]["shape"], labels["count"],
            background_kind(labels))


def agreeing(a, b):
    """Which SCENE_ATTRIBUTES two single-kind scenes share."""
    return [n for n, x, y in zip(SCENE_ATTRIBUTES, scene_attributes(a), scene_attributes(b)) if x == y]


def check_similar(cli, db, folder, labels_of):
    singles = sorted(f for f, l in labels_of.items() if not l["mixed"])
    queries = singles[:40]
    hits = by_chance = 0
    shared = {n: 0 for n in SCENE_ATTRIBUTES}
    for i, name in enumerate(queries):
        results = run_cli(cli, db, "similar", os.path.join(folder, name), "--limit", "1")["results"]
        first = labels_of.get(os.path.basename(results[0]["path"])) if results else None
        if first is not None and not first["mixed"]:
            same = agreeing(first, labels_of[name])
            hits += len(same) >= 3
            for n in same:
                shared[n] += 1
        # The baseline: a picture chosen without looking (a fixed stride).
        other = singles[(i * 7 + 3) % len(singles)]
        by_chance += other != name and len(agreeing(labels_of[other], labels_of[name])) >= 3
    rate = hits / max(len(queries), 1)
    print(f"similar: same scene type (3 of colour, shape, count, background kind) first for "
          f"{hits}/{len(queries)} pictures ({rate:.1%}; a picture chosen blindly: {by_chance}/{len(queries)}); "
          f"the first result shares " + ", ".join(f"{n} {k}/{len(queries)}" for n, k in shared.items()))
    return rate


def check_albums(cli, db, labels_of):
    taxonomy = json.load(open(os.path.join(SOURCE_DIR, "data", "albums", "demo-taxonomy.json")))
    groups = {a["name"]: a["group"] for a in taxonomy["albums"]}
    members = {a["name"]: {os.path.basename(p) for p in a["photos"]}
               for a in run_cli(cli, db, "albums")["albums"]}
    ok = True
    for name, group in groups.items():
        belongs = album_predicate(name, group)
        truth = {f for f, l in labels_of.items() if belongs(l)}
        got = members.get(name, set())
        precision = len(got & truth) / len(got) if got else (1.0 if not truth else 0.0)
        recall = len(got & truth) / len(truth) if truth else 1.0
        checked = group in CHECKED_GROUPS and truth
        passed = not checked or (precision >= MIN_ALBUM_PRECISION and recall >= MIN_ALBUM_RECALL)
        ok &= passed
        print(f"album {name:18} ({group:10}) {len(got):3} photos, {len(truth):3} true: "
              f"precision {precision:.2f} recall {recall:.2f}"
              f"{'' if checked else ' (reported only)'}{'' if passed else '  <-- below the floor'}")
    return ok


def main():
    cli, exit_code = cli_or_exit_code("test-demo-search.py")
    if cli is None:
        return exit_code

    with tempfile.TemporaryDirectory() as tmp:
        folder = os.path.join(tmp, "photos")
        subprocess.run([sys.executable, os.path.join(SOURCE_DIR, "tools", "demo-scenes.py"),
                        "--count", str(SCENES), "--seed", str(SEED), "--held-out", "any",
                        "--out", folder], check=True, capture_output=True)
        with open(os.path.join(folder, "captions.jsonl")) as f:
            labels_of = {s["file"]: s["labels"] for s in map(json.loads, f)}
        db = os.path.join(tmp, "library.db")
        indexed = run_cli(cli, db, "index", folder)
        if indexed["failed"] or indexed["added"] != SCENES:
            print(f"FAIL: index added {indexed['added']} of {SCENES}, failed {indexed['failed']}")
            return 1

        search_rate, pair_rate, right_strong_rate = check_search(cli, db, labels_of)
        similar_rate = check_similar(cli, db, folder, labels_of)
        albums_ok = check_albums(cli, db, labels_of)

    ok = (search_rate >= MIN_SEARCH_COLOUR_TOP1 and pair_rate >= MIN_SEARCH_PAIR_TOP1 and
          right_strong_rate >= MIN_RIGHT_FIRST_STRONG and
          similar_rate >= MIN_SIMILAR_TOP1 and albums_ok)
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
