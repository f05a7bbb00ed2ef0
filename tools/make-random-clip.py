#!/usr/bin/env python3
"""make-random-clip.py: writes a random-weight CLIP model folder in the Hugging Face layout.

For tests and benchmarks that need a model of a real size without
downloading one: the weights are noise, so only shapes, dtypes and timings
mean anything. Uses the standard library and numpy only, so that tests can
run it anywhere the build runs.

    make-random-clip.py --geometry vit-b-32 --dtype f16 --out /tmp/vit-b-32
"""

import argparse
import json
import math
import os
import shutil
import sys

try:
    import numpy as np
except ImportError:
    sys.exit("make-random-clip.py needs numpy (Debian: python3-numpy)")

GEOMETRIES = {
    # OpenAI's ViT-B/32.
    "vit-b-32": dict(
        vision_width=768, vision_layers=12, vision_heads=12, vision_mlp=3072,
        image_size=224, patch_size=32,
        text_width=512, text_layers=12, text_heads=8, text_mlp=2048,
        context_length=77, vocab_size=49408, embed_dim=512,
    ),
    # The geometry of the fixtures in shared/fixtures/tiny-*.
    "tiny": dict(
        vision_width=64, vision_layers=2, vision_heads=1, vision_mlp=256,
        image_size=64, patch_size=16,
        text_width=64, text_layers=2, text_heads=2, text_mlp=256,
        context_length=77, vocab_size=49408, embed_dim=32,
    ),
}

DTYPES = {"f32": "F32", "f16": "F16", "bf16": "BF16"}
DTYPE_SIZES = {"F32": 4, "F16": 2, "BF16": 2, "I64": 8}

CLIP_MEAN = [0.48145466, 0.4578275, 0.40821073]
CLIP_STD = [0.26862954, 0.26130258, 0.27577711]

# How transformers initialises logit_scale: log(1 / 0.07).
LOGIT_SCALE = math.log(1 / 0.07)


def block_tensors(prefix, width, mlp):
    """One encoder layer in transformers' names: (name, shape, kind)."""
    out = []
    for norm in ("layer_norm1", "layer_norm2"):
        out.append((f"{prefix}.{norm}.weight", [width], "norm"))
        out.append((f"{prefix}.{norm}.bias", [width], "normal"))
    for proj in ("q_proj", "k_proj", "v_proj", "out_proj"):
        out.append((f"{prefix}.self_attn.{proj}.weight", [width, width], "normal"))
        out.append((f"{prefix}.self_attn.{proj}.bias", [width], "normal"))
    out.append((f"{prefix}.mlp.fc1.weight", [mlp, width], "normal"))
    out.append((f"{prefix}.mlp.fc1.bias", [mlp], "normal"))
    out.append((f"{prefix}.mlp.fc2.weight", [width, mlp], "normal"))
    out.append((f"{prefix}.mlp.fc2.bias", [width], "normal"))
    return out


def model_tensors(g, position_ids):
    """Every tensor of a transformers CLIPModel: (name, shape, kind)."""
    cv, ct, p = g["vision_width"], g["text_width"], g["patch_size"]
    patches = (g["image_size"] // p) ** 2
    out = [
        ("logit_scale", [], "logit_scale"),
        ("vision_model.embeddings.class_embedding", [cv], "normal"),
        ("vision_model.embeddings.patch_embedding.weight", [cv, 3, p, p], "normal"),
        ("vision_model.embeddings.position_embedding.weight", [1 + patches, cv], "normal"),
        ("vision_model.pre_layrnorm.weight", [cv], "norm"),  # sic, as transformers spells it
        ("vision_model.pre_layrnorm.bias", [cv], "normal"),
    ]
    for i in range(g["vision_layers"]):
        out += block_tensors(f"vision_model.encoder.layers.{i}", cv, g["vision_mlp"])
    out += [
        ("vision_model.post_layernorm.weight", [cv], "norm"),
        ("vision_model.post_layernorm.bias", [cv], "normal"),
        ("visual_projection.weight", [g["embed_dim"], cv], "normal"),
        ("text_model.embeddings.token_embedding.weight", [g["vocab_size"], ct], "normal"),
        ("text_model.embeddings.position_embedding.weight", [g["context_length"], ct], "normal"),
    ]
    for i in range(g["text_layers"]):
        out += block_tensors(f"text_model.encoder.layers.{i}", ct, g["text_mlp"])
    out += [
        ("text_model.final_layer_norm.weight", [ct], "norm"),
        ("text_model.final_layer_norm.bias", [ct], "normal"),
        ("text_projection.weight", [g["embed_dim"], ct], "normal"),
    ]
    if position_ids:
        # Older checkpoints carry these int64 buffers; loaders must skip them.
        out += [
            ("text_model.embeddings.position_ids", [1, g["context_length"]], "positions"),
            ("vision_model.embeddings.position_ids", [1, 1 + patches], "positions"),
        ]
    return out


def to_file_dtype(values, dtype):
    """float32 values as the bytes of `dtype`, little-endian."""
    if dtype == "F32":
        return values.astype("<f4", copy=False)
    if dtype == "F16":
        return values.astype("<f2")
    # BF16: the upper half of the float32, rounded to nearest even.
    bits = values.astype("<f4", copy=False).view("<u4")
    rounded = bits + (np.uint32(0x7FFF) + ((bits >> np.uint32(16)) & np.uint32(1)))
    return (rounded >> np.uint32(16)).astype("<u2")


def make_values(rng, shape, kind):
    count = math.prod(shape)
    if kind == "logit_scale":
        return np.full(count, LOGIT_SCALE, dtype=np.float32)
    if kind == "positions":
        return np.arange(count, dtype="<i8")
    values = rng.standard_normal(count, dtype=np.float32)
    values *= np.float32(0.02)
    if kind == "norm":
        values += np.float32(1.0)
    return values


def write_safetensors(path, tensors, dtype, rng):
    entries, offset = {}, 0
    for name, shape, kind in tensors:
        tensor_dtype = "I64" if kind == "positions" else dtype
        count = math.prod(shape)
        size = count * DTYPE_SIZES[tensor_dtype]
        entries[name] = {"dtype": tensor_dtype, "shape": shape, "data_offsets": [offset, offset + size]}
        offset += size
    entries["__metadata__"] = {"format": "pt"}
    header = json.dumps(entries, separators=(",", ":")).encode("utf-8")
    header += b" " * (-len(header) % 8)  # keeps the data area 8-byte aligned

    with open(path, "wb") as f:
        f.write(len(header).to_bytes(8, "little"))
        f.write(header)
        for name, shape, kind in tensors:
            values = make_values(rng, shape, kind)
            data = values if kind == "positions" else to_file_dtype(values, dtype)
            data.tofile(f)
        if f.tell() != 8 + len(header) + offset:
            raise RuntimeError(f"{path}: wrote {f.tell()} bytes, expected {8 + len(header) + offset}")


def hf_config(g):
    text = {
        "hidden_size": g["text_width"],
        "intermediate_size": g["text_mlp"],
        "num_attention_heads": g["text_heads"],
        "num_hidden_layers": g["text_layers"],
        "max_position_embeddings": g["context_length"],
        "vocab_size": g["vocab_size"],
        "hidden_act": "quick_gelu",
        "layer_norm_eps": 1e-05,
        "projection_dim": g["embed_dim"],
        "bos_token_id": 49406,
        "eos_token_id": 49407,
        "pad_token_id": 1,
    }
    vision = {
        "hidden_size": g["vision_width"],
        "intermediate_size": g["vision_mlp"],
        "num_attention_heads": g["vision_heads"],
        "num_hidden_layers": g["vision_layers"],
        "image_size": g["image_size"],
        "patch_size": g["patch_size"],
        "num_channels": 3,
        "hidden_act": "quick_gelu",
        "layer_norm_eps": 1e-05,
        "projection_dim": g["embed_dim"],
    }
    return {
        "architectures": ["CLIPModel"],
        "model_type": "clip",
        "projection_dim": g["embed_dim"],
        "logit_scale_init_value": round(LOGIT_SCALE, 4),
        "text_config": text,
        "vision_config": vision,
    }


def preprocessor_config(g):
    return {
        "crop_size": g["image_size"],
        "do_center_crop": True,
        "do_normalize": True,
        "do_resize": True,
        "image_mean": CLIP_MEAN,
        "image_std": CLIP_STD,
        "resample": 3,
        "size": g["image_size"],
        "image_processor_type": "CLIPImageProcessor",
    }


def write_json(path, value):
    with open(path, "w", encoding="utf-8") as f:
        json.dump(value, f, indent=2)
        f.write("\n")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0].split(": ", 1)[1])
    parser.add_argument("--geometry", choices=sorted(GEOMETRIES), default="tiny")
    parser.add_argument("--dtype", choices=sorted(DTYPES), default="f32")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", required=True, help="the model folder to write")
    parser.add_argument("--vocab-from", metavar="DIR",
                        help="copy vocab.json and merges.txt from this folder")
    parser.add_argument("--position-ids", action="store_true",
                        help="add the int64 position_ids buffers older checkpoints carry")
    args = parser.parse_args()

    geometry = GEOMETRIES[args.geometry]
    os.makedirs(args.out, exist_ok=True)
    if args.vocab_from:
        for name in ("vocab.json", "merges.txt"):
            source = os.path.join(args.vocab_from, name)
            if not os.path.isfile(source):
                sys.exit(f"{source}: no such file")
            shutil.copyfile(source, os.path.join(args.out, name))

    rng = np.random.Generator(np.random.PCG64(args.seed))
    write_safetensors(os.path.join(args.out, "model.safetensors"),
                      model_tensors(geometry, args.position_ids), DTYPES[args.dtype], rng)
    write_json(os.path.join(args.out, "config.json"), hf_config(geometry))
    write_json(os.path.join(args.out, "preprocessor_config.json"), preprocessor_config(geometry))


if __name__ == "__main__":
    main()
