#!/usr/bin/python3
"""test-demo-model.py: the demo model still sees colours and shapes, through spyglass-cli.

    test-demo-model.py SPYGLASS_CLI      (or SPYGLASS_CLI in the environment)

Renders fresh single-object scenes with tools/demo-scenes.py, embeds them and
the zero-shot class prompts with the C engine, and checks colour (8-way) and
shape (4-way) accuracy against the targets of docs/demo-model.md less a
margin for the small sample. Needs Debian's python3-numpy and python3-pil,
not torch. Exits 77 (skipped) when data/models/demo is not there.
"""

import sys
import tempfile

from demo_test_common import MODEL_DIR, cli_or_exit_code, load_tool

SCENES = 64
# The colour target 90 % (docs/demo-model.md), less 10 points: 64 scenes
# measure a rate to about ±5 points.
MIN_COLOUR = 0.80
# The shape target 85 % less 10 points (the shipped model: 93.5 % on 400
# scenes, docs/demo-model.md).
MIN_SHAPE = 0.75


def main():
    cli_path, exit_code = cli_or_exit_code("test-demo-model.py")
    if cli_path is None:
        return exit_code

    evaluation = load_tool("eval-demo-model.py")

    cli = evaluation.Cli(cli_path, MODEL_DIR)
    with tempfile.TemporaryDirectory() as tmp:
        res = evaluation.zero_shot(cli, tmp, singles=SCENES, held_out=0, groups=0, retrieval=0,
                                   pairs=False)
    print(f"colour {res['colour']:.3f} (min {MIN_COLOUR}), shape {res['shape']:.3f} (min {MIN_SHAPE}) "
          f"over {res['n_singles']} scenes")
    ok = res["colour"] >= MIN_COLOUR and res["shape"] >= MIN_SHAPE
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
