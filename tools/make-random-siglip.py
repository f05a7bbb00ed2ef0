#!/usr/bin/env python3
"""make-random-siglip.py: writes a random-weight SigLIP / SigLIP 2 model folder in the Hugging Face layout.

The sibling of make-random-clip.py for transformers' SiglipModel: for tests
and benchmarks at real sizes without a download (the weights are noise: only
shapes, dtypes and timings mean anything). Like save_pretrained(), config.json
holds only the values that differ from configuration_siglip.py's defaults, so
loading it also exercises the defaults. Standard library and numpy only.

    make-random-siglip.py --geometry siglip2-b16-224 --dtype f16 --out /tmp/siglip2-b16
"""

import argparse
import importlib.util
import math
import os
import sys

_spec = importlib.util.spec_from_file_location(
    "make_random_clip", os.path.join(os.path.dirname(os.path.abspath(__file__)), "make-random-clip.py"))
clip = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(clip)

# configuration_siglip.py's defaults (text and vision alike).
DEFAULTS = dict(width=768, layers=12, heads=12, mlp=3072, image_size=224, patch_size=16,
                context_length=64, vocab_size=32000)

GEOMETRIES = {
    # google/siglip2-base-patch16-224: Gemma's 256k vocabulary.
    "siglip2-b16-224": dict(image_size=224, patch_size=16, vocab_size=256000, resample=2),
    # google/siglip2-base-patch32-256.
    "siglip2-b32-256": dict(image_size=256, patch_size=32, vocab_size=256000, resample=2),
    # google/siglip-base-patch16-224.
    "siglip-b16-224": dict(image_size=224, patch_size=16, vocab_size=32000, resample=3),
    # The geometry of shared/fixtures/siglip-tiny.
    "tiny": dict(width=64, layers=2, heads=2, mlp=256, image_size=64, patch_size=16,
                 vocab_size=1000, resample=3),
}


def geometry(name, vocab_size):
    g = dict(DEFAULTS)
    g.update(GEOMETRIES[name])
    if vocab_size:
        g["vocab_size"] = vocab_size
    return g


def model_tensors(g):
    """Every tensor of a transformers SiglipModel: (name, shape, kind)."""
    c, f, p = g["width"], g["mlp"], g["patch_size"]
    patches = (g["image_size"] // p) ** 2
    out = [
        ("logit_scale", [1], "logit_scale"),
        ("logit_bias", [1], "normal"),
        ("vision_model.embeddings.patch_embedding.weight", [c, 3, p, p], "normal"),
        ("vision_model.embeddings.patch_embedding.bias", [c], "normal"),
        ("vision_model.embeddings.position_embedding.weight", [patches, c], "normal"),
    ]
    for i in range(g["layers"]):
        out += clip.block_tensors(f"vision_model.encoder.layers.{i}", c, f)
    head = "vision_model.head"
    out += [
        ("vision_model.post_layernorm.weight", [c], "norm"),
        ("vision_model.post_layernorm.bias", [c], "normal"),
        (f"{head}.probe", [1, 1, c], "normal"),
        (f"{head}.attention.in_proj_weight", [3 * c, c], "normal"),
        (f"{head}.attention.in_proj_bias", [3 * c], "normal"),
        (f"{head}.attention.out_proj.weight", [c, c], "normal"),
        (f"{head}.attention.out_proj.bias", [c], "normal"),
        (f"{head}.layernorm.weight", [c], "norm"),
        (f"{head}.layernorm.bias", [c], "normal"),
        (f"{head}.mlp.fc1.weight", [f, c], "normal"),
        (f"{head}.mlp.fc1.bias", [f], "normal"),
        (f"{head}.mlp.fc2.weight", [c, f], "normal"),
        (f"{head}.mlp.fc2.bias", [c], "normal"),
        ("text_model.embeddings.token_embedding.weight", [g["vocab_size"], c], "normal"),
        ("text_model.embeddings.position_embedding.weight", [g["context_length"], c], "normal"),
    ]
    for i in range(g["layers"]):
        out += clip.block_tensors(f"text_model.encoder.layers.{i}", c, f)
    out += [
        ("text_model.final_layer_norm.weight", [c], "norm"),
        ("text_model.final_layer_norm.bias", [c], "normal"),
        ("text_model.head.weight", [c, c], "normal"),
        ("text_model.head.bias", [c], "normal"),
    ]
    return out



def hf_config(g):
    def tower(names):
        return {hf: g[ours] for ours, hf in names if g[ours] != DEFAULTS[ours]}

    common = [("width", "hidden_size"), ("mlp", "intermediate_size"),
              ("heads", "num_attention_heads"), ("layers", "num_hidden_layers")]
    text = tower(common + [("vocab_size", "vocab_size"), ("context_length", "max_position_embeddings")])
    vision = tower(common + [("image_size", "image_size"), ("patch_size", "patch_size")])
    return {
        "architectures": ["SiglipModel"],
        "model_type": "siglip",
        "text_config": dict(text, model_type="siglip_text_model"),
        "vision_config": dict(vision, model_type="siglip_vision_model"),
    }


def preprocessor_config(g):
    return {
        "do_normalize": True,
        "do_rescale": True,
        "do_resize": True,
        "image_mean": [0.5, 0.5, 0.5],
        "image_std": [0.5, 0.5, 0.5],
        "image_processor_type": "SiglipImageProcessor",
        "resample": g["resample"],
        "rescale_factor": 1 / 255,
        "size": {"height": g["image_size"], "width": g["image_size"]},
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0].split(": ", 1)[1])
    parser.add_argument("--geometry", choices=sorted(GEOMETRIES), default="tiny")
    parser.add_argument("--dtype", choices=sorted(clip.DTYPES), default="f32")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--vocab-size", type=int,
                        help="a smaller vocabulary (tests: the table's size changes no compute)")
    parser.add_argument("--out", required=True, help="the model folder to write")
    args = parser.parse_args()

    g = geometry(args.geometry, args.vocab_size)
    os.makedirs(args.out, exist_ok=True)
    rng = clip.np.random.Generator(clip.np.random.PCG64(args.seed))
    clip.write_safetensors(os.path.join(args.out, "model.safetensors"), model_tensors(g),
                           clip.DTYPES[args.dtype], rng)
    clip.write_json(os.path.join(args.out, "config.json"), hf_config(g))
    clip.write_json(os.path.join(args.out, "preprocessor_config.json"), preprocessor_config(g))


if __name__ == "__main__":
    main()
