#!/usr/bin/python3
"""train-demo-model.py: trains the demo CLIP on generated scenes and exports it.

A developer tool (Debian's python3-torch, CPU): the app, its build and its
tests never run it. It

  1. renders the training scenes with tools/demo-scenes.py (held-out
     colour+shape pairs excluded) and preprocesses them as the C engine does,
  2. learns a byte-level BPE vocabulary from the captions (tools/demo-bpe.py),
  3. trains a CLIP (OpenAI's architecture: pre-LN ViT, causal text
     transformer, quick_gelu, projections, learned temperature) with the
     symmetric InfoNCE loss over in-batch pairs,
  4. writes the model in transformers' CLIPModel layout, F16.

    train-demo-model.py --out data/models/demo --minutes 45
    train-demo-model.py --check-parity data/models/demo --cli build/src/cli/spyglass-cli

Captions are drawn afresh each time a scene is used, whole or partial ("a red
object", "three shapes", "on a blue background"), so that the model learns
every attribute on its own as well as together. A partial caption is true of
many scenes in a batch; the loss counts every scene it is true of as a
positive (soft targets) instead of pushing true matches apart.
"""

import argparse
import importlib.util
import json
import math
import multiprocessing
import os
import subprocess
import sys
import tempfile
import time

# OpenMP threads that spin while they wait cost a shared machine more than
# they gain: let them sleep (set before torch loads its OpenMP runtime).
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numpy as np  # noqa: E402

try:
    import torch
    import torch.nn as nn
    import torch.nn.functional as F
except ImportError:
    sys.exit("train-demo-model.py needs PyTorch (Debian: apt-get install python3-torch)")

TOOLS = os.path.dirname(os.path.abspath(__file__))


def load_tool(name):
    spec = importlib.util.spec_from_file_location(name.replace("-", "_"), os.path.join(TOOLS, name + ".py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


sys.path.insert(0, TOOLS)
from demo_clip import CLIP, hf_state, load_model  # noqa: E402
from safetensors_np import write_safetensors  # noqa: E402

scenes = load_tool("demo-scenes")
bpe = load_tool("demo-bpe")

CLIP_MEAN = [0.48145466, 0.4578275, 0.40821073]
CLIP_STD = [0.26862954, 0.26130258, 0.27577711]

# The shipped model's geometry. --image-size 64 --patch-size 8 gives the
# same 64 patches at less than half the pixels to render and store; the
# shapes stay plainly recognisable there (a small object is 10 to 14 pixels
# across), but it learned shape no better (docs/demo-model.md at fb01282).
GEOMETRY = dict(
    image_size=96, patch_size=12,
    vision_width=128, vision_layers=4, vision_heads=4,
    text_width=128, text_layers=3, text_heads=4,
    context_length=32, embed_dim=128,
)


# ---- data ----

RENDER_CHUNK = 250


def _render_range(args):
    seed, start, count, size, path = args
    if path and os.path.exists(path):
        data = np.load(path, allow_pickle=False)
        return data["images"][:count], json.loads(str(data["labels"]))[:count]
    out = np.empty((count, size, size, 3), dtype=np.uint8)
    labels = []
    for k in range(count):
        image, lab, _ = scenes.scene(seed, start + k, held_out="exclude")
        out[k] = scenes.preprocess(image, size)
        labels.append(lab)
    if path and count == RENDER_CHUNK:
        np.savez(path + ".tmp.npz", images=out, labels=json.dumps(labels))
        os.replace(path + ".tmp.npz", path)
    return out, labels


def training_set(count, seed, size, cache_dir, workers):
    """Preprocessed training images (uint8, N×S×S×3) and their labels.

    Cached on disk in chunks of RENDER_CHUNK scenes, so that an interrupted
    render resumes and a larger set reuses a smaller one's scenes.
    """
    folder = os.path.join(cache_dir, f"scenes-{seed}-{size}") if cache_dir else None
    if folder:
        os.makedirs(folder, exist_ok=True)
    jobs = [(seed, s, min(RENDER_CHUNK, count - s), size,
             os.path.join(folder, f"{s:06d}.npz") if folder else None)
            for s in range(0, count, RENDER_CHUNK)]
    with multiprocessing.Pool(workers) as pool:
        parts = pool.map(_render_range, jobs)
    images = np.concatenate([p[0] for p in parts])
    labels = [lab for p in parts for lab in p[1]]
    return images, labels


def caption_corpus(labels, seed, per_scene=3):
    """Whole and partial captions of the training scenes, for the BPE learner."""
    rng = np.random.default_rng(seed)
    texts = []
    for lab in labels:
        for _ in range(per_scene):
            texts.append(sample_caption(lab, rng)[0])
    return texts


# Partial captions say one or two things, in proportions that keep the
# zero-shot prompts ("a red object", "a photo of a star", "three shapes",
# "on a blue background") well represented.
PARTIAL_MENTIONS = [
    {"colour"}, {"shape"}, {"shape"}, {"count"}, {"background"}, {"colour", "shape"},
    {"colour", "shape"}, {"colour", "background"}, {"shape", "background"},
    {"size", "shape"}, {"position", "colour"}, {"position", "shape"}, {"colour", "shape", "count"},
]


# What a caption may say of a scene whose colours were scrambled: neither
# the colours nor the background are true any more.
COLOURLESS_MENTIONS = [{"shape"}, {"shape"}, {"count", "shape"}, {"size", "shape"}, {"position", "shape"},
                       {"count"}, {"size", "count", "shape", "position"}]


# What a caption of one object of a mixed scene may say (--mixed-partial).
MIXED_MENTIONS = [{"colour", "shape"}, {"colour", "shape"}, {"colour", "shape"}, {"shape"}, {"colour"},
                  {"colour", "shape", "background"}, {"size", "colour", "shape"}]


def mixed_partial_caption(labels, rng):
    """A caption of one of a mixed scene's two objects: "a black circle" of a
    black circle beside a yellow triangle, as a user's search names one thing
    in a photo of several. Its constraint is that object's, as if alone; the
    match matrix checks it against each object of a mixed scene."""
    obj = labels["objects"][rng.integers(2)]
    one = dict(labels, objects=[obj], count=1, mixed=False, position=None)
    return scenes.make_caption(one, rng, MIXED_MENTIONS[rng.integers(len(MIXED_MENTIONS))])


def sample_caption(labels, rng, colourless=False, article_counts=True):
    if colourless:
        mention = COLOURLESS_MENTIONS[rng.integers(len(COLOURLESS_MENTIONS))]
    elif labels["mixed"] or rng.random() < 0.45:
        mention = None
    else:
        mention = PARTIAL_MENTIONS[rng.integers(len(PARTIAL_MENTIONS))]
    return scenes.make_caption(labels, rng, mention, article_counts)


# Mirroring a scene left to right moves its object to the mirrored region.
MIRRORED_POSITION = {"left": "right", "right": "left", "top left": "top right", "top right": "top left",
                     "bottom left": "bottom right", "bottom right": "bottom left"}
UNKNOWN = -3  # a label no caption constraint equals: a scrambled colour or background
MIXED = -2  # label_vector's colour and shape of a mixed scene


def match_matrix(label_vectors, constraints, mixed_ids, objects=None):
    """match[i, j]: caption i is true of scene j.

    label_vectors: (B, A) scene attributes; constraints: (B, A), -1 where the
    caption says nothing; mixed_ids: the captions that describe a mixed scene
    whole, which match only their own scene; the scene's own caption always
    matches. objects: (B, 2, 2) colour and shape of each object of the mixed
    scenes; without it, a caption naming a colour or shape never matches a
    mixed scene it does not describe whole.
    """
    L = label_vectors[None, :, :]
    C = constraints[:, None, :]
    match = np.all((C == -1) | (C == L), axis=-1)
    if objects is not None:
        match |= mixed_scene_match(label_vectors, constraints, objects)
    for i in mixed_ids:
        match[i, :] = False
    np.fill_diagonal(match, True)
    return match


def mixed_scene_match(label_vectors, constraints, objects):
    """match[i, j] for the mixed scenes j: caption i is true of j when as many
    of j's objects have the colour and shape it names as it counts (at least
    one when it says no count: "a red circle" of a red circle and a blue
    square; "two shapes" of both), and j has its size, position and background.
    A mixed scene has no position, so a caption naming one is never true of it.
    """
    C = constraints[:, None, None, :]
    O = objects[None, :, :, :]
    fits = ((C[..., 0] == -1) | (C[..., 0] == O[..., 0])) & ((C[..., 1] == -1) | (C[..., 1] == O[..., 1]))
    n = fits.sum(-1)
    count = constraints[:, None, scenes.ATTRIBUTES.index("count")]
    count_ok = np.where(count == -1, n >= 1, n == count + 1)
    rest = [scenes.ATTRIBUTES.index(a) for a in ("size", "position", "background")]
    Cr, Lr = constraints[:, None, rest], label_vectors[None, :, rest]
    rest_ok = np.all((Cr == -1) | (Cr == Lr), axis=-1)
    mixed = label_vectors[:, 0] == MIXED
    return count_ok & rest_ok & mixed[None, :]


def _grey(image):
    grey = image.astype(np.float32) @ np.array([0.299, 0.587, 0.114], dtype=np.float32)
    return np.repeat(grey[..., None], 3, axis=-1).astype(image.dtype)


# The colour changes of `scramble`, each on an (H, W, 3) array.
SCRAMBLES = [lambda x, p=p: x[..., p] for p in [(1, 2, 0), (2, 0, 1), (0, 2, 1), (2, 1, 0), (1, 0, 2)]] + [
    lambda x: 255 - x, _grey]


def hue_rotation(degrees):
    """A colour change turning hues by `degrees` about the grey axis: colours between the named ones."""
    c, r = math.cos(math.radians(degrees)), math.sin(math.radians(degrees)) / math.sqrt(3)
    k = (1 - c) / 3
    m = np.array([[c + k, k - r, k + r], [k + r, c + k, k - r], [k - r, k + r, c + k]], dtype=np.float32)

    def change(x):
        return np.clip(x.astype(np.float32) @ m.T, 0, 255).astype(x.dtype)
    return change


def nearest_colour(rgb):
    """The colour name a viewer would give `rgb`: the nearest of the scene colours."""
    return min(scenes.COLOURS, key=lambda c: float(np.sum((np.array(scenes.RGB[c]) - rgb) ** 2)))


class Batcher:
    """Random batches, part of them in groups that share colour and background.

    In a random batch, colour and background alone nearly always tell the
    scenes apart, so the loss barely rewards seeing shapes: a first model
    trained that way learned colour (97 %) and background (100 %) but shape
    hardly above chance. Groups of scenes with the same colour and background
    can only be told apart by shape, count, size and position.

    Two optional augmentations keep captions true. `flip` mirrors half the
    scenes left to right, their position labels with them. `scramble` is the
    share of single-kind scenes whose colours are scrambled (channels
    permuted, inverted or grey) and whose caption names no colour and no
    background: a shape is then seen in many more colours than the eight and
    its matches span colours, which should push shape to be learned apart
    from colour, as the held-out colour+shape pairs need. `grey` is a
    further share shown in greyscale with the same colourless captions.
    `mixed_partial` is the share of mixed scenes captioned by one of their
    objects ("a black circle"); with it, every caption is matched against
    each object of a mixed scene, so "a red circle" is a true caption of a
    red circle beside a blue square, as it is for a user searching photos.
    Without it a mixed scene is only ever its whole caption, and the model
    learns that "a red circle" means nothing but red circles. `article_counts`
    False makes "a red circle" true of groups of red circles as well
    (make_caption).
    """

    def __init__(self, images, labels, tokenizer, context_length, seed, group_share=0.0, group_size=8,
                 flip=False, scramble=0.0, grey=0.0, patch_grid=0, mixed_partial=0.0, article_counts=True):
        self.images = images
        self.patch_grid = patch_grid
        self.labels = labels
        self.vectors = np.array([scenes.label_vector(l) for l in labels], dtype=np.int64)
        self.group_share = group_share
        self.group_size = group_size
        self.flip = flip
        self.scramble = scramble
        self.grey = grey
        self.mixed_partial = mixed_partial
        self.article_counts = article_counts
        self.objects = np.full((len(labels), 2, 2), -1, dtype=np.int64)
        for i, lab in enumerate(labels):
            if lab["mixed"]:
                self.objects[i] = [[scenes.COLOURS.index(o["colour"]), scenes.SHAPES.index(o["shape"])]
                                   for o in lab["objects"]]
        groups = {}
        for i, v in enumerate(self.vectors):
            if v[0] >= 0:  # not a mixed scene
                groups.setdefault((v[0], v[5]), []).append(i)
        self.groups = [np.array(g) for g in groups.values() if len(g) >= group_size]
        self.tok = tokenizer
        self.ctx = context_length
        self.rng = np.random.default_rng(seed)
        self.mean = torch.tensor(CLIP_MEAN).view(1, 3, 1, 1)
        self.std = torch.tensor(CLIP_STD).view(1, 3, 1, 1)

    def indices(self, size):
        n_groups = int(size * self.group_share) // self.group_size
        idx = []
        for g in self.rng.choice(len(self.groups), n_groups, replace=False):
            idx.extend(self.rng.choice(self.groups[g], self.group_size, replace=False))
        taken = set(idx)
        while len(idx) < size:
            i = int(self.rng.integers(len(self.images)))
            if i not in taken:
                taken.add(i)
                idx.append(i)
        return np.array(idx)

    def _scrambled(self, image, labels):
        """The image with its colours changed (channels permuted, inverted, grey or hues turned),
        or None when every change would show a held-out colour+shape pair.

        A change that turns, say, a green triangle into a red-looking one would
        show a held-out pair in training under a colourless caption, so the
        object's colour goes through the same change first and changes that
        land nearest a held-out partner of its shape are not used.
        """
        shape = labels["objects"][0]["shape"]
        rgb = np.array(scenes.RGB[labels["objects"][0]["colour"]], dtype=np.uint8)
        changes = SCRAMBLES + [hue_rotation(self.rng.uniform(30, 330)) for _ in range(2)]
        for kind in self.rng.permutation(len(changes)):
            if (nearest_colour(changes[kind](rgb[None, None])[0, 0].astype(np.float32)), shape) \
                    not in scenes.HELD_OUT_PAIRS:
                return changes[kind](image)
        return None

    def batch(self, size):
        idx = self.indices(size)
        images = self.images[idx].copy()
        vectors = self.vectors[idx].copy()
        constraints, ids, mixed = [], [], []
        patches = np.full((size, self.patch_grid, self.patch_grid), -100, dtype=np.int64)
        pos = scenes.ATTRIBUTES.index("position")
        for k, i in enumerate(idx):
            labels = self.labels[i]
            mirrored = self.flip and self.rng.random() < 0.5
            if self.patch_grid and "geometry" in labels:
                patches[k] = patch_targets(labels["geometry"], self.patch_grid, mirrored)
            if mirrored:
                images[k] = images[k, :, ::-1]
                if labels["position"] in MIRRORED_POSITION:
                    labels = dict(labels, position=MIRRORED_POSITION[labels["position"]])
                    vectors[k, pos] = scenes.POSITIONS.index(labels["position"])
            scrambled = None
            if (self.scramble > 0 or self.grey > 0) and not labels["mixed"]:
                r = self.rng.random()
                if r < self.grey:
                    scrambled = _grey(images[k])
                elif r < self.grey + self.scramble:
                    scrambled = self._scrambled(images[k], labels)
            colourless = scrambled is not None
            if colourless:
                images[k] = scrambled
                vectors[k, scenes.ATTRIBUTES.index("colour")] = UNKNOWN
                vectors[k, scenes.ATTRIBUTES.index("background")] = UNKNOWN
            if labels["mixed"] and self.rng.random() < self.mixed_partial:
                text, constraint = mixed_partial_caption(labels, self.rng)
            else:
                text, constraint = sample_caption(labels, self.rng, colourless, self.article_counts)
            if constraint is None:
                mixed.append(k)
                constraint = [-1] * len(scenes.ATTRIBUTES)
            constraints.append(constraint)
            ids.append(self.tok.encode(text, self.ctx))
        t = max(len(x) for x in ids)
        tokens = torch.zeros(size, t, dtype=torch.long)
        for k, x in enumerate(ids):
            tokens[k, :len(x)] = torch.tensor(x)
        match = match_matrix(vectors, np.array(constraints), mixed,
                             self.objects[idx] if self.mixed_partial > 0 else None)
        x = torch.from_numpy(images).permute(0, 3, 1, 2).float() / 255.0
        return ((x - self.mean) / self.std, tokens, torch.from_numpy(match), torch.from_numpy(vectors),
                torch.from_numpy(patches).flatten(1), torch.as_tensor(np.array(constraints)))


def patch_targets(geometry, grid, mirrored=False):
    """What each patch of a scene shows, from the renderer's geometry.

    A grid × grid array: the index of the shape that covers a fifth or more
    of the patch (its core disc, 0.85 of the radius, sampled at 4 × 4 points
    a patch), len(SHAPES) for a patch well clear of every object, and -100
    (ignored) for a patch that only touches an object's rim.
    """
    n = grid * 4
    pts = (np.arange(n) + 0.5) / n
    X, Y = np.meshgrid(pts, pts)
    best = np.zeros((grid, grid))
    out = np.full((grid, grid), len(scenes.SHAPES), dtype=np.int64)
    for x, y, r, shape in geometry:
        if mirrored:
            x = 1.0 - x
        d = np.hypot(X - x, Y - y) / r
        cover = (d < 0.85).reshape(grid, 4, grid, 4).mean(axis=(1, 3))
        near = (d < 1.15).reshape(grid, 4, grid, 4).any(axis=(1, 3))
        out[near & (out == len(scenes.SHAPES))] = -100
        take = (cover >= 0.2) & (cover > best)
        out[take] = scenes.SHAPES.index(shape)
        best = np.maximum(best, cover)
    return out


def balanced_patch_loss(logits, patches):
    """The per-patch shape loss with each picture's object patches and its
    empty patches as two equal halves (--patch-balance).

    A plain mean over patches is mostly empty background and large objects:
    a small object covers one or two of 64 patches, so its shape earns a
    hundredth of a large one's share, and small objects are where the
    shipped model's shape and search go wrong (86 % against 98 % for large
    ones). logits: (B, P, shapes + 1); patches: (B, P), -100 ignored.
    """
    ce = F.cross_entropy(logits.flatten(0, 1), patches.flatten(), ignore_index=-100,
                         reduction="none").view(patches.shape)
    empty = len(scenes.SHAPES)
    per_picture = []
    for part in ((patches >= 0) & (patches < empty), patches == empty):
        w = part.float()
        per_picture.append((ce * w).sum(1) / w.sum(1).clamp(min=1))
    return (per_picture[0] + per_picture[1]).mean() / 2


def seen_pairs(labels):
    """seen[c, s]: colour c and shape s are one object somewhere in the training scenes."""
    seen = np.zeros((len(scenes.COLOURS), len(scenes.SHAPES)), dtype=bool)
    for lab in labels:
        for obj in lab["objects"]:
            seen[scenes.COLOURS.index(obj["colour"]), scenes.SHAPES.index(obj["shape"])] = True
    return seen


def gap_mask(vectors, constraints, match, seen):
    """mask[i, j]: leave caption i and scene j out of each other's softmax (--debias).

    A caption naming a shape but no colour ("a square") is not contrasted with
    a scene whose colour never comes with that shape in training (a purple
    object, when purple squares were held out), and a caption naming a colour
    but no shape likewise with a scene of a shape never seen in that colour.
    Contrasting them teaches "purple things are not squares": true of the
    training set, not of the world, and exactly what stops the model from
    recognising a purple square. The training set's own co-occurrences decide,
    nothing else. Scrambled and mixed scenes (no single known colour) keep
    every contrast.
    """
    colour, shape = torch.as_tensor(vectors[:, 0]), torch.as_tensor(vectors[:, 1])
    c_only = (constraints[:, 0] >= 0) & (constraints[:, 1] == -1)
    s_only = (constraints[:, 1] >= 0) & (constraints[:, 0] == -1)
    known = (colour >= 0) & (shape >= 0)
    seen = torch.as_tensor(seen)
    cc, cs = constraints[:, 0].clamp(min=0), constraints[:, 1].clamp(min=0)
    ic, ish = colour.clamp(min=0), shape.clamp(min=0)
    unseen_shape = ~seen[ic[None, :], cs[:, None]]   # caption's shape never in the scene's colour
    unseen_colour = ~seen[cc[:, None], ish[None, :]]  # caption's colour never on the scene's shape
    mask = (s_only[:, None] & unseen_shape) | (c_only[:, None] & unseen_colour)
    return mask & known[None, :] & ~match


def head_gap_bias(colour, seen):
    """Logit adjustment for the shape heads (--debias): shapes never seen in the
    object's colour get -1e4, so the heads need not learn that prior from the
    features (product of experts with the training set's co-occurrences)."""
    bias = torch.zeros(len(colour), len(scenes.SHAPES))
    known = colour >= 0
    bias[known] = torch.where(torch.as_tensor(seen)[colour[known]], 0.0, -1e4)
    return bias


# The app's neutral reference captions (src/search/search-relevance.c): a
# search hit is a strong match only if its description beats them on the photo.
NEUTRAL_PROMPTS = ["a photo.", "a picture.", "an image.", "a photo of something.", "a snapshot."]


def neutral_hinge(txt, img, neutral, match, margin):
    """Every true caption of a scene above the neutral captions' ensemble (--neutral-weight).

    InfoNCE only ranks captions against each other; nothing in it says where
    "a photo." lands, and a model whose neutral ensemble outscores "a red
    circle" on red circles hides every red circle under "weaker matches".
    txt, img: unit rows; neutral: the unit mean of NEUTRAL_PROMPTS' embeddings.
    """
    cos = txt @ img.t()
    reference = (img @ neutral)[None, :]
    gap = F.relu(margin - (cos - reference))
    return gap[match].mean()


def soft_infonce(logits, match, mask=None):
    """InfoNCE both ways, with every true pair a positive (uniform target)."""
    if mask is not None:
        logits = logits.masked_fill(mask, -1e4)
    m = match.float()
    t2i = -(F.log_softmax(logits, 1) * (m / m.sum(1, keepdim=True))).sum(1).mean()
    i2t = -(F.log_softmax(logits.t(), 1) * (m.t() / m.t().sum(1, keepdim=True))).sum(1).mean()
    return (t2i + i2t) / 2


# ---- export: transformers' CLIPModel layout ----

def write_model(out_dir, model, vocab, g, merges):
    os.makedirs(out_dir, exist_ok=True)
    bpe.write(out_dir, merges)
    state = hf_state(model)
    write_safetensors(os.path.join(out_dir, "model.safetensors"), state, "F16")
    vocab_size = len(vocab)
    config = {
        "architectures": ["CLIPModel"],
        "model_type": "clip",
        "projection_dim": g["embed_dim"],
        "logit_scale_init_value": 2.6592,
        "text_config": {
            "hidden_size": g["text_width"], "intermediate_size": 4 * g["text_width"],
            "num_attention_heads": g["text_heads"], "num_hidden_layers": g["text_layers"],
            "max_position_embeddings": g["context_length"], "vocab_size": vocab_size,
            "hidden_act": "quick_gelu", "layer_norm_eps": 1e-05, "projection_dim": g["embed_dim"],
            "bos_token_id": vocab[bpe.START], "eos_token_id": vocab[bpe.END], "pad_token_id": 0,
        },
        "vision_config": {
            "hidden_size": g["vision_width"], "intermediate_size": 4 * g["vision_width"],
            "num_attention_heads": g["vision_heads"], "num_hidden_layers": g["vision_layers"],
            "image_size": g["image_size"], "patch_size": g["patch_size"], "num_channels": 3,
            "hidden_act": "quick_gelu", "layer_norm_eps": 1e-05, "projection_dim": g["embed_dim"],
        },
    }
    with open(os.path.join(out_dir, "config.json"), "w") as f:
        json.dump(config, f, indent=2)
        f.write("\n")
    pre = {
        "crop_size": g["image_size"], "do_center_crop": True, "do_normalize": True,
        "do_resize": True, "image_mean": CLIP_MEAN, "image_std": CLIP_STD, "resample": 3,
        "size": g["image_size"], "image_processor_type": "CLIPImageProcessor",
    }
    with open(os.path.join(out_dir, "preprocessor_config.json"), "w") as f:
        json.dump(pre, f, indent=2)
        f.write("\n")


# ---- parity with the C engine ----

def check_parity(model_dir, cli, device, precision="f32", count=16):
    """Embeds images and texts with PyTorch and with spyglass-cli; prints the largest relative error.

    F32 by default: the engine's own arithmetic. The cpu device's automatic
    precision (INT8 text weights) is an approximation with its own bound
    (every fixture within cosine 0.998 of F32, tests/test-clip-encoder.c).
    """
    model, g = load_model(model_dir)
    tok = bpe.Tokenizer.from_dir(model_dir)
    size = g["image_size"]
    texts = ["a red circle", "three small blue stars on a yellow background",
             "a photo of a green triangle at the top left", "something purple", "two shapes at night",
             "a white square and a black star in a landscape", "an orange object", "a big star"]
    worst = 0.0
    with tempfile.TemporaryDirectory() as tmp:
        files, pixels = [], []
        for i in range(count):
            image, _, _ = scenes.scene(4242, i, held_out="any")
            # Saved at the model's size, so both sides see the same pixels
            # and only the networks are compared.
            arr = scenes.preprocess(image, size)
            path = os.path.join(tmp, f"p{i}.png")
            from PIL import Image
            Image.fromarray(arr).save(path)
            files.append(path)
            pixels.append(arr)
        base = [cli, "--model", model_dir, "--json", "--precision", precision]
        base += ["--device", device] if device else []
        img_c = json.loads(subprocess.run(base + ["embed-image"] + files, check=True,
                                          capture_output=True, text=True).stdout)
        txt_c = json.loads(subprocess.run(base + ["embed-text"] + texts, check=True,
                                          capture_output=True, text=True).stdout)
        x = torch.from_numpy(np.stack(pixels)).permute(0, 3, 1, 2).float() / 255.0
        x = (x - torch.tensor(CLIP_MEAN).view(1, 3, 1, 1)) / torch.tensor(CLIP_STD).view(1, 3, 1, 1)
        with torch.no_grad():
            img_t = model.encode_image(x).numpy()
            ids = [tok.encode(t, g["context_length"]) for t in texts]
            txt_t = np.stack([model.encode_text(torch.tensor([i])).numpy()[0] for i in ids])
        for torch_e, c_json in ((img_t, img_c), (txt_t, txt_c)):
            c_e = np.array([item["embedding"] for item in c_json["items"]], dtype=np.float64)
            err = np.linalg.norm(c_e - torch_e, axis=1) / np.linalg.norm(torch_e, axis=1)
            worst = max(worst, float(err.max()))
    print(json.dumps({"device": device or "default", "precision": precision, "max_relative_error": worst,
                      "images": count, "texts": len(texts)}))
    return worst


# ---- training ----

def train(a):
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    g = dict(GEOMETRY)
    for key in ("vision_width", "vision_layers", "text_width", "text_layers", "embed_dim",
                "image_size", "patch_size"):
        if getattr(a, key) is not None:
            g[key] = getattr(a, key)
    t0 = time.time()
    images, labels = training_set(a.scenes, a.seed, g["image_size"], a.cache, a.workers)
    print(f"{len(images)} training scenes in {time.time() - t0:.0f} s", flush=True)

    merges = bpe.learn(caption_corpus(labels[:20000], a.seed))
    vocab = bpe.build_vocab(merges)
    tok = bpe.Tokenizer(vocab, merges)
    print(f"vocabulary: {len(vocab)} tokens, {len(merges)} merges", flush=True)

    model = CLIP(g, len(vocab))
    if a.local_init:
        model.local_vision_init()
    n_params = sum(p.numel() for p in model.parameters())
    print(f"geometry {g}: {n_params / 1e6:.2f} M parameters", flush=True)
    # Optional auxiliary shape and count classifiers on the pooled image
    # features, used in training only (not exported): they give the vision
    # tower a direct signal for what in-batch contrast rewards too weakly.
    aux = nn.ModuleDict({"shape": nn.Linear(g["vision_width"], len(scenes.SHAPES)),
                         "count": nn.Linear(g["vision_width"], 3),
                         "patch": nn.Sequential(nn.LayerNorm(g["vision_width"]),
                                                nn.Linear(g["vision_width"], len(scenes.SHAPES) + 1))})
    decay = [p for n, p in model.named_parameters() if p.dim() >= 2 and "embedding" not in n]
    no_decay = [p for n, p in model.named_parameters() if not (p.dim() >= 2 and "embedding" not in n)]
    if a.aux_weight > 0 or a.patch_weight > 0:
        no_decay += list(aux.parameters())
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.1},
                             {"params": no_decay, "weight_decay": 0.0}],
                            lr=a.lr, betas=(0.9, 0.98), eps=1e-6)
    seen = seen_pairs(labels)
    neutral_ids = torch.zeros(len(NEUTRAL_PROMPTS), g["context_length"], dtype=torch.long)
    for k, text in enumerate(NEUTRAL_PROMPTS):
        ids = tok.encode(text, g["context_length"])
        neutral_ids[k, :len(ids)] = torch.tensor(ids)
    neutral_ids = neutral_ids[:, :max(len(tok.encode(t, g["context_length"])) for t in NEUTRAL_PROMPTS)]
    batcher = Batcher(images, labels, tok, g["context_length"], a.seed + 1, a.group_share,
                      flip=a.flip, scramble=a.scramble, grey=a.grey, mixed_partial=a.mixed_partial,
                      article_counts=not a.any_count_article,
                      patch_grid=g["image_size"] // g["patch_size"] if a.patch_weight > 0 else 0)
    if a.init:
        # A second phase: the weights of an earlier run, a fresh optimiser and schedule.
        # A checkpoint, or an exported model folder (its F16 weights).
        init = load_model(a.init)[0].state_dict() if os.path.isdir(a.init) else torch.load(a.init)["model"]
        model.load_state_dict(init)
        print(f"initialised from {a.init}", flush=True)

    ckpt = os.path.join(a.cache, "checkpoint.pt") if a.cache else None
    step, elapsed0 = 0, 0.0
    if ckpt and a.resume and os.path.exists(ckpt):
        state = torch.load(ckpt)
        model.load_state_dict(state["model"])
        opt.load_state_dict(state["opt"])
        step, elapsed0 = state["step"], state["elapsed"]
        print(f"resumed at step {step}", flush=True)

    # The schedule is in time, not steps, so a busy machine shortens
    # training instead of overrunning the budget: the learning rate follows
    # a warm-up then a cosine over the --minutes budget. With --steps the
    # cosine runs over the steps instead, so a run on a shared machine does
    # the same work as one on a quiet machine (--minutes is then a cap).
    budget = a.minutes * 60.0
    start = time.time() - elapsed0
    cpu0 = time.process_time()
    losses = []
    while True:
        elapsed = time.time() - start
        if elapsed >= budget or (a.steps and step >= a.steps):
            break
        frac = step / a.steps if a.steps else elapsed / budget
        lr = a.lr * min(1.0, (step + 1) / a.warmup) * 0.5 * (1 + math.cos(math.pi * frac))
        for group in opt.param_groups:
            group["lr"] = lr
        pixels, tokens, match, vectors, patches, constraints = batcher.batch(a.batch)
        states = model.vision_model.tokens(pixels)
        features = model.vision_model.pooled(states)
        img = F.normalize(model.visual_projection(features), dim=-1)
        txt = model.encode_text(tokens)
        logits = model.logit_scale.exp() * txt @ img.t()
        mask = gap_mask(vectors, constraints, match, seen) if a.debias else None
        loss = soft_infonce(logits, match, mask)
        if a.neutral_weight > 0:
            neutral = F.normalize(model.encode_text(neutral_ids).mean(0), dim=-1)
            loss = loss + a.neutral_weight * neutral_hinge(txt, img, neutral, match, a.neutral_margin)
        bias = head_gap_bias(vectors[:, 0], seen) if a.debias else torch.zeros(len(vectors), len(scenes.SHAPES))
        if a.aux_weight > 0:
            shape = vectors[:, 1].clone()
            shape[shape < 0] = -100  # mixed scenes: no single shape
            loss = loss + a.aux_weight * (F.cross_entropy(aux["shape"](features) + bias, shape, ignore_index=-100) +
                                          F.cross_entropy(aux["count"](features), vectors[:, 2]))
        if a.patch_weight > 0:
            # Each patch says which shape covers it: dense, local supervision
            # (64 answers a picture instead of one), which teaches the
            # patch embedding and attention to see outlines far sooner than
            # the contrast alone does. Training only: the head is not exported.
            logits_p = aux["patch"](states[:, 1:])
            # The scene's colour covers its object patches; "no object" is never biased.
            logits_p = logits_p + F.pad(bias, (0, 1))[:, None, :]
            if a.patch_balance:
                loss = loss + a.patch_weight * balanced_patch_loss(logits_p, patches)
            else:
                loss = loss + a.patch_weight * F.cross_entropy(logits_p.flatten(0, 1), patches.flatten(),
                                                               ignore_index=-100)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        with torch.no_grad():
            model.logit_scale.clamp_(0, math.log(100))
        losses.append(loss.item())
        step += 1
        if step % 25 == 0:
            print(f"step {step} {elapsed / 60:.1f} min (cpu {(time.process_time() - cpu0) / 60:.1f}) "
                  f"lr {lr:.2e} loss {np.mean(losses[-25:]):.3f} "
                  f"scale {model.logit_scale.exp().item():.1f}", flush=True)
        if ckpt and step % 200 == 0:
            torch.save({"model": model.state_dict(), "opt": opt.state_dict(), "step": step,
                        "elapsed": time.time() - start}, ckpt + ".tmp")
            os.replace(ckpt + ".tmp", ckpt)
            # The model so far, exported, to evaluate while training goes on.
            model.eval()
            write_model(os.path.join(a.cache, "latest"), model, vocab, g, merges)
            model.train()
    train_s = time.time() - start
    cpu_s = time.process_time() - cpu0
    print(f"trained {step} steps ({step * a.batch} pairs) in {train_s / 60:.1f} min "
          f"({cpu_s / 60:.1f} CPU minutes)", flush=True)
    model.eval()
    write_model(a.out, model, vocab, g, merges)
    with open(os.path.join(a.cache or a.out, "training-log.json"), "w") as f:
        json.dump({"steps": step, "init": a.init, "aux_weight": a.aux_weight, "patch_weight": a.patch_weight, "patch_balance": a.patch_balance, "group_share": a.group_share, "lr": a.lr, "batch": a.batch, "train_seconds": train_s, "cpu_seconds": cpu_s, "scramble": a.scramble, "debias": a.debias, "grey": a.grey,
                   "neutral_weight": a.neutral_weight, "mixed_partial": a.mixed_partial, "any_count_article": a.any_count_article, "neutral_margin": a.neutral_margin,
                   "flip": a.flip, "local_init": a.local_init, "scenes": a.scenes,
                   "geometry": g, "parameters": n_params, "final_loss": float(np.mean(losses[-50:])),
                   "vocab_size": len(vocab)}, f, indent=2)
    print(f"wrote {a.out}", flush=True)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--out", help="model folder to write (Hugging Face CLIPModel layout)")
    p.add_argument("--minutes", type=float, default=45.0, help="training time budget")
    p.add_argument("--steps", type=int, default=0,
                   help="train this many steps, the learning rate schedule over them (0: over --minutes)")
    p.add_argument("--scenes", type=int, default=40000, help="training scenes to render")
    p.add_argument("--seed", type=int, default=1000)
    p.add_argument("--batch", type=int, default=128)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--warmup", type=int, default=150)
    p.add_argument("--threads", type=int, default=1,
                   help="torch threads; one is faster than two on a shared 2-core machine")
    p.add_argument("--workers", type=int, default=2, help="processes that render scenes")
    p.add_argument("--cache", default="/tmp/demo-model-cache", help="rendered scenes and checkpoints")
    p.add_argument("--resume", action="store_true", help="continue from the cache's checkpoint")
    p.add_argument("--init", metavar="PATH",
                   help="start from these weights, a checkpoint or a model folder (a second phase)")
    p.add_argument("--aux-weight", type=float, default=0.0,
                   help="weight of the auxiliary shape and count losses (0: pure InfoNCE)")
    p.add_argument("--patch-weight", type=float, default=0.0,
                   help="weight of the auxiliary per-patch shape loss (needs scenes with geometry)")
    p.add_argument("--patch-balance", action="store_true",
                   help="weigh each picture's object patches as much as its empty ones in the patch loss, "
                        "so small objects count as much as large ones")
    p.add_argument("--group-share", type=float, default=0.5,
                   help="share of a batch drawn in groups of one colour and background")
    p.add_argument("--grey", type=float, default=0.0,
                   help="share of scenes shown in greyscale with a colourless caption (besides --scramble)")
    p.add_argument("--scramble", type=float, default=0.0,
                   help="share of scenes shown with scrambled colours and a colourless caption")
    p.add_argument("--debias", action="store_true",
                   help="no contrast or head answer that only the training set's colour+shape gaps explain")
    p.add_argument("--neutral-weight", type=float, default=0.0,
                   help="weight of the hinge keeping true captions above the app's neutral captions")
    p.add_argument("--neutral-margin", type=float, default=0.05,
                   help="cosine margin of that hinge")
    p.add_argument("--mixed-partial", type=float, default=0.0,
                   help="share of mixed scenes captioned by one of their objects; also matches every "
                        "caption against each object of a mixed scene (0.5 made mixed scenes hubs that "
                        "many searches found first: docs/demo-model.md at fb01282, eighth attempt)")
    p.add_argument("--any-count-article", action="store_true",
                   help="\"a green star\" is true of a picture of three green stars too (\"one green star\" "
                        "is not), as a user searching means it; without it \"a\" says one, and search ranks "
                        "a lone green triangle above three green stars")
    p.add_argument("--flip", action="store_true", help="mirror half the scenes left to right")
    p.add_argument("--local-init", action="store_true",
                   help="start the ViT with 2-D sine-cosine positions and mimetic attention")
    for key in ("vision_width", "vision_layers", "text_width", "text_layers", "embed_dim",
                "image_size", "patch_size"):
        p.add_argument("--" + key.replace("_", "-"), type=int)
    p.add_argument("--check-parity", metavar="MODEL_DIR", help="compare PyTorch and spyglass-cli embeddings")
    p.add_argument("--cli", help="spyglass-cli, for --check-parity")
    p.add_argument("--device", help="spyglass-cli --device for --check-parity (default: its own)")
    p.add_argument("--precision", default="f32", help="spyglass-cli --precision for --check-parity")
    a = p.parse_args(argv)
    if a.check_parity:
        torch.set_num_threads(a.threads)
        worst = check_parity(a.check_parity, a.cli, a.device, a.precision)
        return 0 if worst <= 5e-3 else 1
    if not a.out:
        p.error("--out is required for training")
    train(a)
    return 0


if __name__ == "__main__":
    sys.exit(main())
