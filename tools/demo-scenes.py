#!/usr/bin/python3
"""demo-scenes.py: the demo model's small visual world, rendered deterministically from a seed.

A scene is 1 to 3 objects (circle, square, triangle, star in one of eight
colours) on a plain colour, a sky-over-grass landscape or a night sky, with a
caption in one of several phrasings. The demo CLIP (tools/train-demo-model.py)
is trained on these scenes and evaluated on fresh ones
(tools/eval-demo-model.py, tests/test-demo-model.py), so this module needs
numpy and PIL only: the test suite imports it without torch.

    demo-scenes.py --count 100 --seed 7 --out /tmp/scenes

writes the images (PNG or JPEG, varied sizes and aspect ratios) and
captions.jsonl, one {"file", "caption", "labels"} object a line.

Determinism: scene `i` of seed `s` depends on (s, i) only, so any slice of a
set can be regenerated alone, and the same scenes come out on every machine
with the same numpy and PIL.
"""

import argparse
import io
import json
import math
import os
import sys

import numpy as np
from PIL import Image, ImageDraw, ImageEnhance, ImageFilter

COLOURS = ["red", "green", "blue", "yellow", "orange", "purple", "white", "black"]
SHAPES = ["circle", "square", "triangle", "star"]
COUNTS = ["one", "two", "three"]
SIZES = ["small", "large"]
# A single object sits in one of nine regions; groups have no position.
POSITIONS = ["centre", "left", "right", "top", "bottom",
             "top left", "top right", "bottom left", "bottom right"]
# Plain backgrounds use the object colours; then two pictures.
BACKGROUNDS = COLOURS + ["landscape", "night"]

# Colour+shape pairs that never appear in training scenes or captions, to
# measure whether the model composes what it learned separately. Every
# colour and shape still appears in training with its other partners.
HELD_OUT_PAIRS = [("red", "triangle"), ("blue", "star"), ("yellow", "circle"), ("purple", "square")]

RGB = {
    "red": (215, 35, 35), "green": (40, 165, 55), "blue": (35, 70, 215),
    "yellow": (240, 215, 35), "orange": (245, 135, 25), "purple": (135, 50, 175),
    "white": (245, 245, 245), "black": (20, 20, 20),
}

PLURAL = {"circle": "circles", "square": "squares", "triangle": "triangles", "star": "stars"}

# Region centres in the unit square, (x, y) with y downwards.
POSITION_XY = {
    "centre": (0.5, 0.5), "left": (0.25, 0.5), "right": (0.75, 0.5),
    "top": (0.5, 0.25), "bottom": (0.5, 0.75),
    "top left": (0.25, 0.25), "top right": (0.75, 0.25),
    "bottom left": (0.25, 0.75), "bottom right": (0.75, 0.75),
}

# Object radius as a fraction of the crop side, by size; wide apart so that
# "small" and "large" stay distinguishable after scale jitter.
RADIUS = {"small": (0.075, 0.105), "large": (0.15, 0.2)}

# Attribute order of the label vectors the trainer matches captions with.
ATTRIBUTES = ["colour", "shape", "count", "size", "position", "background"]


def scene_rng(seed, index):
    """One generator per scene, so scenes are independent of each other."""
    return np.random.default_rng([seed, index, 0x5C3E])


# ---- scene labels ----

def sample_labels(rng, held_out="exclude", mixed_fraction=0.15, count=None):
    """Structured labels of one scene.

    held_out: "exclude" (training: never the held-out pairs), "only" (only
    them, single object) or "any" (all pairs). count: 1 to 3 identical
    objects if given (no mixed scene), for the evaluation sets.
    """
    if count is not None:
        mixed_fraction = 0.0
    pairs = [(c, s) for c in COLOURS for s in SHAPES]
    if held_out == "exclude":
        pairs = [p for p in pairs if p not in HELD_OUT_PAIRS]
    elif held_out == "only":
        pairs = list(HELD_OUT_PAIRS)
    size = SIZES[rng.integers(2)]
    if held_out != "only" and rng.random() < mixed_fraction:
        # Two different objects: "a red circle and a blue square".
        i, j = rng.choice(len(pairs), size=2, replace=False)
        objects = [pairs[i], pairs[j]]
        count = 2
        position = None
    else:
        objects = [pairs[rng.integers(len(pairs))]]
        n = int(rng.integers(1, 4))  # drawn always, so `count` leaves the rest as it was
        count = 1 if held_out == "only" else (count or n)
        position = POSITIONS[rng.integers(len(POSITIONS))] if count == 1 else None
    used = {c for c, _ in objects}
    choices = [b for b in BACKGROUNDS if b not in used]
    # Plain colours, the landscape and the night sky about equally often per kind.
    r = rng.random()
    if r < 0.2:
        background = "landscape"
    elif r < 0.4:
        background = "night"
    else:
        plain = [b for b in choices if b in COLOURS]
        background = plain[rng.integers(len(plain))]
    return {
        "objects": [{"colour": c, "shape": s} for c, s in objects],
        "count": count, "size": size, "position": position, "background": background,
        "mixed": len(objects) > 1,
    }


# ---- captions ----

def _count_word(count, rng, allow_article=True):
    if count == 1:
        return "a" if (allow_article and rng.random() < 0.7) else "one"
    return COUNTS[count - 1]


def _background_phrase(bg, rng):
    if bg == "landscape":
        return ["in a landscape", "in a field under the sky", "in a meadow",
                "in a landscape with grass and sky"][rng.integers(4)]
    if bg == "night":
        return ["in the night sky", "at night", "under a starry night sky",
                "on a night sky background"][rng.integers(4)]
    return [f"on a {bg} background", f"against a {bg} background",
            f"on {bg}", f"with a {bg} background"][rng.integers(4)]


def _position_phrase(pos, rng):
    if pos == "centre":
        return ["in the centre", "in the middle", "at the centre"][rng.integers(3)]
    if pos in ("left", "right"):
        return [f"on the {pos}", f"at the {pos}"][rng.integers(2)]
    if pos in ("top", "bottom"):
        return [f"at the {pos}", f"near the {pos}"][rng.integers(2)]
    return [f"at the {pos}", f"in the {pos} corner"][rng.integers(2)]


def _size_word(size, rng):
    return {"small": ["small", "little", "small"], "large": ["large", "big", "large"]}[size][rng.integers(3)]


def _object_phrase(labels, rng, colour=True, shape=True, size=True, count=True):
    """"two small red circles", "a blue object", "three shapes", ..."""
    n = labels["count"]
    obj = labels["objects"][0]
    words = []
    if count:
        words.append(_count_word(n, rng))
    elif n == 1:
        words.append("a")
    if size:
        words.append(_size_word(labels["size"], rng))
    if colour:
        words.append(obj["colour"])
    if shape:
        words.append(obj["shape"] if n == 1 else PLURAL[obj["shape"]])
    else:
        noun = ["shape", "object", "thing"][rng.integers(3)]
        words.append(noun if n == 1 else noun + "s")
    if words[0] == "a" and len(words) > 1 and words[1][0] in "aeiou":
        words[0] = "an"
    return " ".join(words)


def make_caption(labels, rng, mention=None, article_counts=True):
    """A caption of the scene that mentions the attributes in `mention`.

    mention: a set from ATTRIBUTES; None mentions everything the scene has
    (the full caption written to captions.jsonl). Colour and shape can be
    left out independently; the count is said whenever the shape or object
    noun needs a number. article_counts: "a red circle" says there is one
    red circle; when False it says nothing of the count (only "one red
    circle" does), so it is true of a picture of three red circles too.
    Returns (text, constraint): the constraint is the label vector
    (see label_vector) with -1 for what the caption does not say.
    """
    if mention is None:
        mention = set(ATTRIBUTES)
    constraint = [-1] * len(ATTRIBUTES)
    prefix = ["", "", "a photo of ", "a picture of ", "an image of "][rng.integers(5)]
    if labels["mixed"]:
        # Mixed scenes are only ever described whole.
        a, b = labels["objects"]
        size = _size_word(labels["size"], rng) + " " if "size" in mention and rng.random() < 0.5 else ""
        art = lambda w: "an" if w[0] in "aeiou" else "a"
        first = f"{size}{a['colour']} {a['shape']}"
        second = f"{size}{b['colour']} {b['shape']}"
        text = f"{art(first)} {first} and {art(second)} {second}"
        if "background" in mention and rng.random() < 0.7:
            text += " " + _background_phrase(labels["background"], rng)
        return prefix + text, None
    parts_mention = {k: k in mention for k in ("colour", "shape", "size", "count")}
    if labels["count"] > 1:
        # A group is always counted: a bare plural ("red circles") would not
        # say whether one object is a match.
        parts_mention["count"] = True
    text = _object_phrase(labels, rng, colour=parts_mention["colour"], shape=parts_mention["shape"],
                          size=parts_mention["size"], count=parts_mention["count"])
    vec = label_vector(labels)
    for k in ("colour", "shape", "size", "count"):
        if parts_mention[k]:
            constraint[ATTRIBUTES.index(k)] = vec[ATTRIBUTES.index(k)]
    if labels["count"] == 1:
        # "one red circle" says there is one; "a red circle" too, unless
        # article_counts is False.
        said_one = text.split()[0] == "one"
        constraint[ATTRIBUTES.index("count")] = 0 if said_one or article_counts else -1
    extras = []
    if "position" in mention and labels["position"] is not None:
        extras.append(_position_phrase(labels["position"], rng))
        constraint[ATTRIBUTES.index("position")] = vec[ATTRIBUTES.index("position")]
    if "background" in mention:
        extras.append(_background_phrase(labels["background"], rng))
        constraint[ATTRIBUTES.index("background")] = vec[ATTRIBUTES.index("background")]
    if len(extras) == 2 and rng.random() < 0.5:
        extras.reverse()
    return prefix + " ".join([text] + extras), constraint


def label_vector(labels):
    """The scene's attributes as indices (ATTRIBUTES order); -1 where absent."""
    obj = labels["objects"][0]
    return [
        COLOURS.index(obj["colour"]) if not labels["mixed"] else -2,
        SHAPES.index(obj["shape"]) if not labels["mixed"] else -2,
        labels["count"] - 1,
        SIZES.index(labels["size"]),
        POSITIONS.index(labels["position"]) if labels["position"] is not None else -1,
        BACKGROUNDS.index(labels["background"]),
    ]


# ---- rendering ----

def _jitter_rgb(rgb, rng, amount=18):
    return tuple(int(np.clip(v + rng.integers(-amount, amount + 1), 0, 255)) for v in rgb)


def _polygon(shape, cx, cy, r, angle):
    if shape == "square":
        k, radii = 4, [r * 0.92]  # a square of the same area feel as the circle
    elif shape == "triangle":
        k, radii = 3, [r * 1.1]
    else:  # star: alternating outer and inner points
        k, radii = 10, [r * 1.15, r * 0.48]
    points = []
    for i in range(k):
        rr = radii[i % len(radii)]
        a = angle + 2 * math.pi * i / k
        points.append((cx + rr * math.sin(a), cy - rr * math.cos(a)))
    return points


def _draw_background(draw, w, h, bg, rng, sky_line):
    if bg == "landscape":
        top, bottom = _jitter_rgb((110, 170, 235), rng), _jitter_rgb((190, 220, 250), rng)
        horizon = int(h * sky_line)
        for y in range(horizon):
            t = y / max(1, horizon - 1)
            draw.line([(0, y), (w, y)], fill=tuple(int(a + (b - a) * t) for a, b in zip(top, bottom)))
        grass = _jitter_rgb((70, 150, 60), rng, 20)
        dark = tuple(max(0, v - 35) for v in grass)
        for y in range(horizon, h):
            t = (y - horizon) / max(1, h - horizon - 1)
            draw.line([(0, y), (w, y)], fill=tuple(int(a + (b - a) * t) for a, b in zip(grass, dark)))
    elif bg == "night":
        top, bottom = _jitter_rgb((8, 10, 35), rng, 8), _jitter_rgb((25, 30, 80), rng, 10)
        for y in range(h):
            t = y / max(1, h - 1)
            draw.line([(0, y), (w, y)], fill=tuple(int(a + (b - a) * t) for a, b in zip(top, bottom)))
        for _ in range(int(rng.integers(15, 45))):
            x, y, s = rng.random() * w, rng.random() * h, max(1.0, w / 300) * (0.5 + rng.random())
            v = int(rng.integers(170, 256))
            draw.ellipse([x - s, y - s, x + s, y + s], fill=(v, v, int(v * 0.95)))
    else:
        draw.rectangle([0, 0, w, h], fill=_jitter_rgb(RGB[bg], rng, 14))


def _place(rng, radii, position):
    """Object centres in the unit square, apart from each other, and the radii
    (shrunk a little when random placement keeps failing)."""
    if position is not None:
        x, y = POSITION_XY[position]
        j = 0.05
        return [(x + rng.uniform(-j, j), y + rng.uniform(-j, j))], radii
    for attempt in range(1000):
        if attempt and attempt % 100 == 0:
            radii = [r * 0.95 for r in radii]
        pts = []
        for r in radii:
            m = r + 0.03
            pts.append((rng.uniform(m, 1 - m), rng.uniform(m, 1 - m)))
        ok = all(math.dist(pts[a], pts[b]) > (radii[a] + radii[b]) * 1.15 + 0.02
                 for a in range(len(pts)) for b in range(a))
        if ok:
            return pts, radii
    raise RuntimeError("no room for the objects")  # radii shrink until it cannot happen


def render(labels, rng):
    """The scene as a PIL RGB image of a random size and aspect ratio.

    Objects live in the centred square of the picture, the part CLIP's
    centre crop keeps, so labels stay true after preprocessing.
    """
    short = int(rng.integers(72, 200))
    long = int(short * rng.uniform(1.0, 1.6))
    w, h = (long, short) if rng.random() < 0.5 else (short, long)
    antialias = rng.random() < 0.7
    ss = 3 if antialias else 1
    W, H = w * ss, h * ss
    image = Image.new("RGB", (W, H))
    draw = ImageDraw.Draw(image)
    _draw_background(draw, W, H, labels["background"], rng, rng.uniform(0.45, 0.7))

    side = min(W, H)
    ox, oy = (W - side) / 2, (H - side) / 2
    lo, hi = RADIUS[labels["size"]]
    # Groups of three large objects need a little less room to fit.
    if labels["count"] == 3 and labels["size"] == "large":
        lo, hi = 0.14, 0.165
    scale = rng.uniform(lo, hi)
    radii = [scale * rng.uniform(0.93, 1.07) for _ in range(labels["count"])]
    centres, radii = _place(rng, radii, labels["position"])
    objects = labels["objects"] * labels["count"] if not labels["mixed"] else labels["objects"]
    if labels["mixed"] and rng.random() < 0.5:
        centres.reverse()
    # Where each object lies in the centre crop (fractions of its side), for
    # trainers that supervise what each part of the picture shows; recording
    # it draws nothing from rng, so the pictures stay those of the seed.
    labels["geometry"] = [[round(x, 4), round(y, 4), round(r, 4), obj["shape"]]
                          for obj, (x, y), r in zip(objects, centres, radii)]
    for obj, (x, y), r in zip(objects, centres, radii):
        cx, cy, rr = ox + x * side, oy + y * side, r * side
        fill = _jitter_rgb(RGB[obj["colour"]], rng)
        if obj["shape"] == "circle":
            draw.ellipse([cx - rr, cy - rr, cx + rr, cy + rr], fill=fill)
        else:
            draw.polygon(_polygon(obj["shape"], cx, cy, rr, rng.uniform(-0.35, 0.35)), fill=fill)
    if ss > 1:
        image = image.resize((w, h), Image.BOX)

    # Photographic damage, each sometimes, so the model does not rely on
    # flat colours and hard edges.
    if rng.random() < 0.3:
        image = image.filter(ImageFilter.GaussianBlur(rng.uniform(0.3, 1.0)))
    if rng.random() < 0.5:
        image = ImageEnhance.Brightness(image).enhance(rng.uniform(0.85, 1.15))
    if rng.random() < 0.5:
        image = ImageEnhance.Contrast(image).enhance(rng.uniform(0.8, 1.2))
    if rng.random() < 0.3:
        a = np.asarray(image, dtype=np.float32)
        a = a + rng.normal(0, rng.uniform(2, 8), a.shape)
        image = Image.fromarray(np.clip(a, 0, 255).astype(np.uint8))
    if rng.random() < 0.4:
        buf = io.BytesIO()
        image.save(buf, "JPEG", quality=int(rng.integers(35, 92)))
        buf.seek(0)
        image = Image.open(buf).convert("RGB")
    return image


def scene(seed, index, held_out="exclude", mixed_fraction=0.15, count=None):
    """(image, labels, caption) of scene `index` of set `seed`."""
    rng = scene_rng(seed, index)
    labels = sample_labels(rng, held_out, mixed_fraction, count)
    caption, _ = make_caption(labels, rng)
    image = render(labels, rng)
    return image, labels, caption


# ---- CLIP's preprocessing, as the C engine does it ----

def preprocess(image, size):
    """Resize the shorter side to `size` (bicubic), centre crop: uint8 (size, size, 3).

    torchvision's Resize + CenterCrop on a PIL image, which src/clip/clip-image.c copies.
    """
    w, h = image.size
    if w <= h:
        rw, rh = size, int(size * h / w)
    else:
        rw, rh = int(size * w / h), size
    if (rw, rh) != (w, h):
        image = image.resize((rw, rh), Image.BICUBIC)
    left, top = int(round((rw - size) / 2.0)), int(round((rh - size) / 2.0))
    return np.asarray(image.crop((left, top, left + size, top + size)), dtype=np.uint8)


def write_set(out, count, seed, held_out="exclude", mixed_fraction=0.15, start=0, objects=None,
              prefix="scene"):
    """Renders scenes start..start+count-1 of `seed` into `out`; returns their records."""
    os.makedirs(out, exist_ok=True)
    records = []
    with open(os.path.join(out, f"{prefix}-captions.jsonl" if prefix != "scene" else "captions.jsonl"), "w") as f:
        for i in range(start, start + count):
            image, labels, caption = scene(seed, i, held_out, mixed_fraction, objects)
            # Both formats, so the app's PNG and JPEG decoders both get used.
            ext = "jpg" if scene_rng(seed, i).random() < 0.5 else "png"
            name = f"{prefix}-{seed}-{i:05d}.{ext}"
            if ext == "jpg":
                image.save(os.path.join(out, name), quality=92)
            else:
                image.save(os.path.join(out, name))
            record = {"file": name, "caption": caption, "labels": labels}
            f.write(json.dumps(record) + "\n")
            records.append(record)
    return records


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--count", type=int, default=100)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--start", type=int, default=0, help="index of the first scene")
    p.add_argument("--out", required=True)
    p.add_argument("--held-out", choices=["exclude", "only", "any"], default="exclude",
                   help="the held-out colour+shape pairs: never (training), only them, or any pair")
    p.add_argument("--mixed-fraction", type=float, default=0.15,
                   help="share of scenes with two different objects")
    p.add_argument("--objects", type=int, choices=[1, 2, 3],
                   help="exactly this many identical objects in every scene")
    a = p.parse_args(argv)
    write_set(a.out, a.count, a.seed, a.held_out, a.mixed_fraction, a.start, a.objects)


if __name__ == "__main__":
    sys.exit(main())
