#!/usr/bin/python3
"""clip-torch.py: OpenAI's CLIP in PyTorch, for bench/compare.

OpenAI's architecture (clip/model.py: VisionTransformer and the text
transformer, nn.MultiheadAttention, QuickGELU, sequence-first layout) loaded
from a model folder in transformers' layout (tools/make-random-clip.py), and
CLIP's own image transform (clip.clip._transform: PIL bicubic resize of the
shorter side, centre crop, /255, normalise). A developer tool run by
bench/compare, each command in a process of its own:

    clip-torch.py preprocess --images DIR --out PIXELS.f32   (numpy and PIL only)
    clip-torch.py export --model DIR --out vision.onnx
    clip-torch.py bench --model DIR --images DIR --threads 2 --embeddings FILE

Every command prints one JSON object on stdout.
"""

import argparse
import json
import os
import sys
import time

try:
    import numpy as np
    from PIL import Image
except ImportError:
    sys.exit("clip-torch.py: needs numpy and PIL (Debian: apt-get install python3-numpy python3-pil)")

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tools"))
from safetensors_np import read_safetensors  # noqa: E402

CLIP_MEAN = np.array([0.48145466, 0.4578275, 0.40821073], dtype=np.float32)
CLIP_STD = np.array([0.26862954, 0.26130258, 0.27577711], dtype=np.float32)

# "a photo of a dog on the beach" in CLIP's vocabulary, as `spyglass-cli bench model` encodes it.
QUERY_IDS = [49406, 320, 1125, 539, 320, 1929, 525, 518, 2117, 49407]

MIN_SECONDS = 3.0


def fail(message):
    sys.exit(f"clip-torch.py: {message}")


# ---- CLIP's image transform, without torchvision (Debian has none) ----

def list_images(folder):
    names = sorted(n for n in os.listdir(folder) if n.lower().endswith((".jpg", ".jpeg")))
    if not names:
        fail(f"{folder}: no JPEGs in this folder")
    return [os.path.join(folder, n) for n in names]


def clip_transform(path, size):
    """clip.clip._transform(size) on one file: (3, size, size) float32, CHW.

    torchvision's Resize(size, BICUBIC) on a PIL image is PIL's resize with
    the longer side int(size * long / short); CenterCrop rounds its offsets."""
    with Image.open(path) as image:
        image = image.convert("RGB")
    w, h = image.size
    if w <= h:
        new_w, new_h = size, int(size * h / w)
    else:
        new_w, new_h = int(size * w / h), size
    image = image.resize((new_w, new_h), Image.BICUBIC)
    left, top = int(round((new_w - size) / 2.0)), int(round((new_h - size) / 2.0))
    image = image.crop((left, top, left + size, top + size))
    pixels = np.asarray(image, dtype=np.float32) / np.float32(255.0)
    pixels = (pixels - CLIP_MEAN) / CLIP_STD
    return np.ascontiguousarray(pixels.transpose(2, 0, 1))


def preprocess_batch(paths, size):
    return np.stack([clip_transform(p, size) for p in paths])


def timed_passes(run_pass, warm_up):
    """Runs warm_up once, then run_pass() until MIN_SECONDS have passed; (passes, seconds)."""
    warm_up()
    passes, start = 0, time.perf_counter()
    while True:
        run_pass()
        passes += 1
        elapsed = time.perf_counter() - start
        if elapsed >= MIN_SECONDS:
            return passes, elapsed


def command_preprocess(a):
    """Times decode + preprocess alone (steady state) and writes the pixels for ONNX Runtime."""
    paths = list_images(a.images)
    passes, seconds = timed_passes(lambda: [clip_transform(p, a.size) for p in paths],
                                   lambda: [clip_transform(p, a.size) for p in paths[:a.batch]])
    pixels = preprocess_batch(paths, a.size)
    pixels.astype("<f4").tofile(a.out)
    print(json.dumps({"images": len(paths), "images_timed": passes * len(paths),
                      "decode_ms_per_image": seconds * 1e3 / (passes * len(paths)),
                      "pixels": a.out, "shape": list(pixels.shape)}))


# ---- the model ----

def load_torch():
    try:
        import torch
    except ImportError:
        fail("PyTorch not found (Debian: apt-get install python3-torch)")
    return torch


def build_model_classes(torch):
    nn = torch.nn

    class QuickGELU(nn.Module):
        def forward(self, x):
            return x * torch.sigmoid(1.702 * x)

    class ResidualAttentionBlock(nn.Module):
        def __init__(self, d_model, n_head, mlp, attn_mask=None):
            super().__init__()
            self.attn = nn.MultiheadAttention(d_model, n_head)
            self.ln_1 = nn.LayerNorm(d_model)
            self.mlp = nn.Sequential()
            self.mlp.add_module("c_fc", nn.Linear(d_model, mlp))
            self.mlp.add_module("gelu", QuickGELU())
            self.mlp.add_module("c_proj", nn.Linear(mlp, d_model))
            self.ln_2 = nn.LayerNorm(d_model)
            self.attn_mask = attn_mask

        def attention(self, x):
            mask = None
            if self.attn_mask is not None:
                mask = self.attn_mask[:x.shape[0], :x.shape[0]].to(dtype=x.dtype)
            return self.attn(x, x, x, need_weights=False, attn_mask=mask)[0]

        def forward(self, x):
            x = x + self.attention(self.ln_1(x))
            return x + self.mlp(self.ln_2(x))

    class Transformer(nn.Module):
        def __init__(self, width, layers, heads, mlp, attn_mask=None):
            super().__init__()
            self.resblocks = nn.Sequential(*[ResidualAttentionBlock(width, heads, mlp, attn_mask)
                                             for _ in range(layers)])

        def forward(self, x):
            return self.resblocks(x)

    class VisionTransformer(nn.Module):
        """clip/model.py's VisionTransformer: pixel_values → image_embeds (unnormalised)."""

        def __init__(self, v, output_dim):
            super().__init__()
            width, patch, size = v["hidden_size"], v["patch_size"], v["image_size"]
            self.conv1 = nn.Conv2d(3, width, kernel_size=patch, stride=patch, bias=False)
            self.class_embedding = nn.Parameter(torch.empty(width))
            self.positional_embedding = nn.Parameter(torch.empty((size // patch) ** 2 + 1, width))
            self.ln_pre = nn.LayerNorm(width)
            self.transformer = Transformer(width, v["num_hidden_layers"], v["num_attention_heads"],
                                           v["intermediate_size"])
            self.ln_post = nn.LayerNorm(width)
            self.proj = nn.Parameter(torch.empty(width, output_dim))

        def forward(self, x):
            x = self.conv1(x)
            x = x.reshape(x.shape[0], x.shape[1], -1).permute(0, 2, 1)
            cls = self.class_embedding.to(x.dtype) + torch.zeros(x.shape[0], 1, x.shape[-1], dtype=x.dtype)
            x = torch.cat([cls, x], dim=1) + self.positional_embedding.to(x.dtype)
            x = self.ln_pre(x).permute(1, 0, 2)  # NLD → LND
            x = self.transformer(x).permute(1, 0, 2)
            return self.ln_post(x[:, 0, :]) @ self.proj

    class TextTransformer(nn.Module):
        """clip/model.py's encode_text; the causal mask and positions cut to the query's length."""

        def __init__(self, t, output_dim):
            super().__init__()
            width, context = t["hidden_size"], t["max_position_embeddings"]
            mask = torch.empty(context, context).fill_(float("-inf")).triu_(1)
            self.token_embedding = nn.Embedding(t["vocab_size"], width)
            self.positional_embedding = nn.Parameter(torch.empty(context, width))
            self.transformer = Transformer(width, t["num_hidden_layers"], t["num_attention_heads"],
                                           t["intermediate_size"], mask)
            self.ln_final = nn.LayerNorm(width)
            self.text_projection = nn.Parameter(torch.empty(width, output_dim))

        def forward(self, ids):
            x = self.token_embedding(ids) + self.positional_embedding[:ids.shape[1]]
            x = self.transformer(x.permute(1, 0, 2)).permute(1, 0, 2)
            x = self.ln_final(x)
            return x[torch.arange(x.shape[0]), ids.argmax(dim=-1)] @ self.text_projection

    return VisionTransformer, TextTransformer


def openai_state(hf, prefix, out_prefix, layers):
    """transformers' names of one tower's transformer → clip/model.py's (q, k, v packed)."""
    out = {}
    for i in range(layers):
        src, dst = f"{prefix}.encoder.layers.{i}", f"{out_prefix}.resblocks.{i}"
        att = f"{src}.self_attn"
        out[f"{dst}.attn.in_proj_weight"] = np.concatenate(
            [hf[f"{att}.{p}_proj.weight"] for p in "qkv"])
        out[f"{dst}.attn.in_proj_bias"] = np.concatenate([hf[f"{att}.{p}_proj.bias"] for p in "qkv"])
        for part in ("weight", "bias"):
            out[f"{dst}.attn.out_proj.{part}"] = hf[f"{att}.out_proj.{part}"]
            out[f"{dst}.ln_1.{part}"] = hf[f"{src}.layer_norm1.{part}"]
            out[f"{dst}.ln_2.{part}"] = hf[f"{src}.layer_norm2.{part}"]
            out[f"{dst}.mlp.c_fc.{part}"] = hf[f"{src}.mlp.fc1.{part}"]
            out[f"{dst}.mlp.c_proj.{part}"] = hf[f"{src}.mlp.fc2.{part}"]
    return out


def load_models(torch, model_dir, want_text):
    """(vision, text or None, vision_config) in eval mode, weights from the folder."""
    try:
        with open(os.path.join(model_dir, "config.json")) as f:
            config = json.load(f)
        v, t, dim = config["vision_config"], config["text_config"], config["projection_dim"]
    except (OSError, ValueError, KeyError) as e:
        fail(f"{model_dir}/config.json: {e}")
    for tower in (v, t):
        if tower.get("hidden_act", "quick_gelu") != "quick_gelu":
            fail(f"{model_dir}/config.json: hidden_act {tower['hidden_act']}, OpenAI's CLIP uses quick_gelu")
    weights = os.path.join(model_dir, "model.safetensors")
    try:
        hf = read_safetensors(weights)
    except (OSError, ValueError) as e:
        fail(f"{weights}: {e}")
    Vision, Text = build_model_classes(torch)

    vision = Vision(v, dim)
    state = openai_state(hf, "vision_model", "transformer", v["num_hidden_layers"])
    e = "vision_model.embeddings"
    state.update({
        "conv1.weight": hf[f"{e}.patch_embedding.weight"],
        "class_embedding": hf[f"{e}.class_embedding"],
        "positional_embedding": hf[f"{e}.position_embedding.weight"],
        "proj": hf["visual_projection.weight"].T,
    })
    for part in ("weight", "bias"):
        state[f"ln_pre.{part}"] = hf[f"vision_model.pre_layrnorm.{part}"]
        state[f"ln_post.{part}"] = hf[f"vision_model.post_layernorm.{part}"]
    vision.load_state_dict({k: torch.from_numpy(np.ascontiguousarray(a)) for k, a in state.items()})

    text = None
    if want_text:
        text = Text(t, dim)
        state = openai_state(hf, "text_model", "transformer", t["num_hidden_layers"])
        e = "text_model.embeddings"
        state.update({
            "token_embedding.weight": hf[f"{e}.token_embedding.weight"],
            "positional_embedding": hf[f"{e}.position_embedding.weight"],
            "text_projection": hf["text_projection.weight"].T,
            "ln_final.weight": hf["text_model.final_layer_norm.weight"],
            "ln_final.bias": hf["text_model.final_layer_norm.bias"],
        })
        text.load_state_dict({k: torch.from_numpy(np.ascontiguousarray(a)) for k, a in state.items()})
        text.eval()
    return vision.eval(), text, v


def command_export(a):
    torch = load_torch()
    vision, _, v = load_models(torch, a.model, want_text=False)
    size = v["image_size"]
    example = torch.zeros(2, 3, size, size)
    tmp = a.out + ".tmp"
    with torch.no_grad():
        torch.onnx.export(vision, (example,), tmp, input_names=["pixel_values"],
                          output_names=["image_embeds"],
                          dynamic_axes={"pixel_values": {0: "batch"}, "image_embeds": {0: "batch"}},
                          opset_version=a.opset, do_constant_folding=True)
    os.replace(tmp, a.out)
    print(json.dumps({"onnx": a.out, "opset": a.opset, "torch": torch.__version__}))


def time_text(torch, text, ids, threads):
    """Mean seconds of one query (one at a time), after warm-ups, for at least MIN_SECONDS."""
    query = torch.tensor([ids])
    with torch.no_grad():
        passes, seconds = timed_passes(lambda: text(query), lambda: [text(query) for _ in range(3)])
    return seconds / passes


def command_bench(a):
    """End to end: decode + CLIP's transform + encode, batch after batch, one process."""
    torch = load_torch()
    torch.set_num_threads(a.threads)
    vision, text, v = load_models(torch, a.model, want_text=True)
    size = v["image_size"]
    paths = list_images(a.images)
    decode_seconds = [0.0]

    def run(batch_paths):
        start = time.perf_counter()
        pixels = torch.from_numpy(preprocess_batch(batch_paths, size))
        decode_seconds[0] += time.perf_counter() - start
        return vision(pixels)

    def one_pass():
        for first in range(0, len(paths), a.batch):
            run(paths[first:first + a.batch])

    with torch.no_grad():
        run(paths[:a.batch])  # warm-up
        decode_seconds[0] = 0.0
        passes, seconds = timed_passes(one_pass, lambda: None)
        embeddings = run(paths[:a.check]).numpy() if a.check > 0 else np.zeros((0, 0))
    images = passes * len(paths)

    ids = [i % text.token_embedding.num_embeddings for i in QUERY_IDS]
    ids[-1] = text.token_embedding.num_embeddings - 1  # pooled here: the largest id, as bench model
    padded = ids + [0] * (text.positional_embedding.shape[0] - len(ids))
    result = {
        "torch": torch.__version__, "threads": torch.get_num_threads(),
        "blas": blas_library(),
        "images": len(paths), "images_timed": images, "batch": a.batch,
        "images_per_second": images / seconds,
        "decode_ms_per_image": decode_seconds[0] * 1e3 / images,
        "encode_ms_per_image": (seconds - decode_seconds[0]) * 1e3 / images,
        "text_tokens": len(ids),
        "text_query_ms": time_text(torch, text, ids, a.threads) * 1e3,
        "text_query_ms_padded_77": time_text(torch, text, padded, a.threads) * 1e3,
    }
    if a.embeddings:
        with open(a.embeddings, "w") as f:
            json.dump({"inputs": paths[:a.check], "embeddings": embeddings.tolist()}, f)
    print(json.dumps(result))


def blas_library():
    """The BLAS this process loaded (Debian's torch links libblas.so.3: the alternatives' choice)."""
    try:
        with open("/proc/self/maps") as f:
            for line in f:
                path = line.split()[-1]
                if "blas" in os.path.basename(path) and ".so" in path:
                    return os.path.realpath(path)
    except OSError:
        pass
    return "unknown"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0].split(": ", 1)[1])
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("preprocess", help="time CLIP's transform; write the pixels as raw float32")
    p.add_argument("--images", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--size", type=int, default=224)
    p.add_argument("--batch", type=int, default=16, help="images in the warm-up")
    p = sub.add_parser("export", help="the vision encoder to ONNX")
    p.add_argument("--model", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--opset", type=int, default=17)
    p = sub.add_parser("bench", help="end-to-end images/s and text query latency")
    p.add_argument("--model", required=True)
    p.add_argument("--images", required=True)
    p.add_argument("--batch", type=int, default=16)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--check", type=int, default=2, help="images whose embeddings are written")
    p.add_argument("--embeddings", help="JSON file for the first --check images' embeddings")
    a = parser.parse_args()
    {"preprocess": command_preprocess, "export": command_export, "bench": command_bench}[a.command](a)


if __name__ == "__main__":
    main()
