#!/usr/bin/python3
"""test-build-tree.py: spyglass-cli run from the build tree, before any install, finds its data.

    test-build-tree.py SPYGLASS_CLI INSTALLED_DATADIR

The README's first commands, as a user runs them from a fresh clone: no SPYGLASS_DATADIR,
no SPYGLASS_MODEL, a home of its own. `model list` must list the catalogue (data/models.json
of the source tree) and `index` must index a folder with the bundled demo model and make it
searchable. Exits 77 (skipped) when the installed data folder exists (the build tree then
reads it, not the source tree's), without Debian's python3-pil or without the demo model.
"""

import json
import os
import subprocess
import sys
import tempfile

from demo_test_common import MODEL_DIR


def main():
    if len(sys.argv) != 3:
        print("usage: test-build-tree.py SPYGLASS_CLI INSTALLED_DATADIR", file=sys.stderr)
        return 2
    cli, installed = sys.argv[1], sys.argv[2]
    if os.path.isdir(installed):
        print(f"SKIP: {installed} exists: the build tree reads the installed data")
        return 77
    if not os.path.exists(os.path.join(MODEL_DIR, "model.safetensors")):
        print(f"SKIP: no demo model in {MODEL_DIR}")
        return 77
    try:
        from PIL import Image, ImageDraw
    except ImportError as e:
        print(f"SKIP: {e} (Debian: python3-pil)")
        return 77

    with tempfile.TemporaryDirectory(prefix="spyglass-build-tree-") as home:
        env = {k: v for k, v in os.environ.items()
               if k not in ("SPYGLASS_DATADIR", "SPYGLASS_MODEL", "SPYGLASS_DB")}
        env.update(HOME=home, XDG_DATA_HOME=os.path.join(home, "data"),
                   XDG_CACHE_HOME=os.path.join(home, "cache"),
                   XDG_CONFIG_HOME=os.path.join(home, "config"))

        def run(*args):
            done = subprocess.run([cli, *args], env=env, capture_output=True, text=True,
                                  timeout=240)
            print(f"$ spyglass-cli {' '.join(args)}: exit {done.returncode}")
            print(done.stdout, done.stderr, sep="", end="")
            if done.returncode != 0:
                raise SystemExit(f"spyglass-cli {' '.join(args)} failed")
            return done.stdout

        listed = run("model", "list")
        for name in ("openai-vit-b-32", "demo"):
            if name not in listed:
                raise SystemExit(f"model list does not list {name}")

        pictures = os.path.join(home, "Pictures")
        os.makedirs(pictures)
        for name, colour in (("red", (220, 30, 30)), ("blue", (30, 30, 220))):
            image = Image.new("RGB", (128, 128), (240, 240, 240))
            ImageDraw.Draw(image).ellipse((24, 24, 104, 104), fill=colour)
            image.save(os.path.join(pictures, f"{name}-circle.png"))
        run("index", pictures)
        hits = json.loads(run("--json", "search", "a red circle"))
        paths = [hit["path"] for hit in hits["results"]]
        if len(paths) != 2:
            raise SystemExit(f"search found {len(paths)} of the 2 photos indexed")
    print("ok: the build tree's spyglass-cli lists the catalogue and indexes with the demo model")
    return 0


if __name__ == "__main__":
    sys.exit(main())
