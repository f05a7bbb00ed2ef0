#!/usr/bin/python3
"""eval-demo-model.py: zero-shot accuracy and retrieval of the demo model, through Spyglass itself.

Renders fresh scenes (seeds the training never used), embeds them and the
class prompts with spyglass-cli, the C engine the app runs, and scores:

  colour    8-way, single objects of seen colour+shape pairs
  shape     4-way, the same scenes
  count     3-way, groups of 1 to 3 identical objects
  background 10-way (8 plain colours, landscape, night), the same groups
  held-out  colour, shape and colour+shape (32-way) accuracy on single
            objects of the colour+shape pairs kept out of training, beside
            the same figures for seen pairs
  retrieval text→image recall@1 and @5 over captioned scenes

Zero-shot classes are prompt ensembles as in CLIP's paper: the mean of a
few phrasings' embeddings.

    eval-demo-model.py --cli build/src/cli/spyglass-cli --model data/models/demo

numpy and PIL only (no torch), so tests/test-demo-model.py can use it.
"""

import argparse
import importlib.util
import json
import os
import subprocess
import sys
import tempfile
import time

import numpy as np

TOOLS = os.path.dirname(os.path.abspath(__file__))


def load_tool(name):
    spec = importlib.util.spec_from_file_location(name.replace("-", "_"), os.path.join(TOOLS, name + ".py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


scenes = load_tool("demo-scenes")

# Seeds of the evaluation sets; training uses 1000 (tools/train-demo-model.py).
SEEDS = (9001, 9002, 9003, 9004)  # singles, held-out, groups, retrieval


def article(word):
    return "an" if word[0] in "aeiou" else "a"


def colour_prompts(c):
    return [f"{article(c)} {c} object", f"something {c}", f"a photo of {article(c)} {c} shape"]


def shape_prompts(s):
    return [f"a {s}", f"a photo of a {s}", f"an image of a {s}"]


def count_prompts(n):
    word = scenes.COUNTS[n - 1]
    if n == 1:
        return ["one object", "a photo of one shape", "one thing"]
    return [f"{word} objects", f"a photo of {word} shapes", f"{word} things"]


def background_prompts(bg):
    if bg == "landscape":
        return ["a shape in a landscape", "an object in a meadow", "a thing in a field under the sky"]
    if bg == "night":
        return ["a shape at night", "an object in the night sky", "a thing under a starry night sky"]
    return [f"a shape on a {bg} background", f"an object against a {bg} background", f"a thing on {bg}"]


def pair_prompts(c, s):
    return [f"{article(c)} {c} {s}", f"a photo of {article(c)} {c} {s}", f"an image of {article(c)} {c} {s}"]


class Cli:
    def __init__(self, cli, model, device=None):
        self.base = [cli, "--model", model, "--json"] + (["--device", device] if device else [])

    def _run(self, command, args):
        out = subprocess.run(self.base + [command] + list(args), check=True, capture_output=True,
                             text=True).stdout
        items = json.loads(out)["items"]
        return np.array([item["embedding"] for item in items], dtype=np.float64)

    def images(self, paths):
        return self._run("embed-image", paths)

    def texts(self, texts):
        return self._run("embed-text", texts)


def class_embeddings(cli_texts, classes, prompts):
    """One unit vector a class: the normalised mean of its prompts' embeddings."""
    all_prompts = [p for c in classes for p in prompts(c)]
    e = cli_texts(all_prompts)
    per = len(prompts(classes[0]))
    means = e.reshape(len(classes), per, -1).mean(1)
    return means / np.linalg.norm(means, axis=1, keepdims=True)


def accuracy(image_emb, class_emb, truth):
    pred = (image_emb @ class_emb.T).argmax(1)
    return float(np.mean(pred == np.array(truth)))


def render(out, prefix, count, seed, held_out, mixed_fraction=0.0, objects=None):
    return scenes.write_set(out, count, seed, held_out, mixed_fraction, 0, objects, prefix)


def zero_shot(cli, tmp, singles=400, held_out=200, groups=400, retrieval=500, pairs=True, log=print,
              seeds=SEEDS):
    """All the figures, as a dict; `cli` is a Cli. Sets of size 0 are skipped,
    and so are their prompts; pairs=False skips the 32-way colour+shape task;
    `seeds` render the four sets (SEEDS' order)."""
    t0 = time.time()
    seed_singles, seed_held_out, seed_groups, seed_retrieval = seeds
    sets = {}
    if singles:
        sets["singles"] = render(tmp, "single", singles, seed_singles, "exclude", objects=1)
    if held_out:
        sets["held_out"] = render(tmp, "heldout", held_out, seed_held_out, "only", objects=1)
    if groups:
        sets["groups"] = render(tmp, "group", groups, seed_groups, "any")
    if retrieval:
        sets["retrieval"] = render(tmp, "retrieval", retrieval, seed_retrieval, "any", mixed_fraction=0.15)
    log(f"rendered {sum(len(s) for s in sets.values())} scenes in {time.time() - t0:.1f} s")

    t0 = time.time()
    files = [os.path.join(tmp, r["file"]) for s in sets.values() for r in s]
    emb_all = cli.images(files)
    emb, k = {}, 0
    for name, records in sets.items():
        emb[name] = emb_all[k:k + len(records)]
        k += len(records)
    log(f"embedded {len(files)} images in {time.time() - t0:.1f} s")

    t0 = time.time()
    # Every prompt and caption in one spyglass-cli call, then split up.
    texts, slices = [], {}

    def want(name, classes, prompts):
        start = len(texts)
        texts.extend(p for c in classes for p in prompts(c))
        slices[name] = (start, len(texts), len(classes), len(prompts(classes[0])))

    want("colour", scenes.COLOURS, colour_prompts)
    want("shape", scenes.SHAPES, shape_prompts)
    if groups:
        want("count", [1, 2, 3], count_prompts)
        want("background", scenes.BACKGROUNDS, background_prompts)
    all_pairs = [(c, s) for c in scenes.COLOURS for s in scenes.SHAPES]
    if pairs:
        want("pair", all_pairs, lambda p: pair_prompts(*p))
    if "retrieval" in sets:
        slices["captions"] = (len(texts), len(texts) + len(sets["retrieval"]), 0, 0)
        texts.extend(r["caption"] for r in sets["retrieval"])
    text_emb = cli.texts(texts)
    log(f"embedded {len(texts)} texts in {time.time() - t0:.1f} s")

    classes = {}
    for name, (a, b, n, per) in slices.items():
        if name == "captions":
            continue
        means = text_emb[a:b].reshape(n, per, -1).mean(1)
        classes[name] = means / np.linalg.norm(means, axis=1, keepdims=True)

    def obj(r):
        return r["labels"]["objects"][0]

    res = {}
    if "singles" in sets:
        s, e = sets["singles"], emb["singles"]
        res["colour"] = accuracy(e, classes["colour"], [scenes.COLOURS.index(obj(r)["colour"]) for r in s])
        res["shape"] = accuracy(e, classes["shape"], [scenes.SHAPES.index(obj(r)["shape"]) for r in s])
        if pairs:
            res["pair_seen"] = accuracy(e, classes["pair"],
                                        [all_pairs.index((obj(r)["colour"], obj(r)["shape"])) for r in s])
        res["n_singles"] = len(s)
    if "held_out" in sets:
        s, e = sets["held_out"], emb["held_out"]
        res["colour_held_out"] = accuracy(e, classes["colour"], [scenes.COLOURS.index(obj(r)["colour"]) for r in s])
        res["shape_held_out"] = accuracy(e, classes["shape"], [scenes.SHAPES.index(obj(r)["shape"]) for r in s])
        if pairs:
            res["pair_held_out"] = accuracy(e, classes["pair"],
                                            [all_pairs.index((obj(r)["colour"], obj(r)["shape"])) for r in s])
        res["n_held_out"] = len(s)
    if "groups" in sets:
        s, e = sets["groups"], emb["groups"]
        res["count"] = accuracy(e, classes["count"], [r["labels"]["count"] - 1 for r in s])
        res["background"] = accuracy(e, classes["background"],
                                     [scenes.BACKGROUNDS.index(r["labels"]["background"]) for r in s])
        res["n_groups"] = len(s)
    if "retrieval" in sets:
        a, b, _, _ = slices["captions"]
        sims = text_emb[a:b] @ emb["retrieval"].T
        # Rank of each caption's own scene among all scenes.
        own = np.diag(sims)
        rank = (sims > own[:, None]).sum(1)
        res["recall_at_1"] = float(np.mean(rank < 1))
        res["recall_at_5"] = float(np.mean(rank < 5))
        res["n_retrieval"] = len(sets["retrieval"])
    return res


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--cli", required=True, help="spyglass-cli")
    p.add_argument("--model", required=True, help="the model folder")
    p.add_argument("--device", help="spyglass-cli --device (default: its own choice)")
    p.add_argument("--singles", type=int, default=400)
    p.add_argument("--held-out", type=int, default=200)
    p.add_argument("--groups", type=int, default=400)
    p.add_argument("--retrieval", type=int, default=500)
    p.add_argument("--keep", help="render the scenes here and keep them")
    p.add_argument("--seed", type=int,
                   help="other evaluation scenes: seeds SEED, +100, +200, +300 for the four sets")
    a = p.parse_args(argv)
    seeds = SEEDS if a.seed is None else tuple(a.seed + k for k in (0, 100, 200, 300))
    cli = Cli(a.cli, a.model, a.device)
    log = lambda m: print(m, file=sys.stderr, flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        res = zero_shot(cli, a.keep or tmp, a.singles, a.held_out, a.groups, a.retrieval, log=log, seeds=seeds)
    print(json.dumps(res, indent=2))


if __name__ == "__main__":
    sys.exit(main())
