#!/usr/bin/env python3
"""preprocess-reference.py: CLIP's image preprocessing with PIL, for test-image-preprocess.

    preprocess-reference.py [--exif-transpose] IMAGE SIZE OUT.f32
        PIL open, convert("RGB"), torchvision's Resize(SIZE, BICUBIC) and
        CenterCrop(SIZE), /255, CLIP's Normalize; writes (3, SIZE, SIZE)
        float32 little-endian, CHW.
    preprocess-reference.py [--exif-transpose] --decoded IMAGE OUT.rgb
        writes width and height (uint32 little-endian) and the RGB bytes of
        PIL's decode, convert("RGB").
    preprocess-reference.py --jobs JOBS
        runs each line of the file JOBS as the arguments of one of the above,
        tab-separated: one Python start-up for many images.
    preprocess-reference.py --check
        exits 0 when PIL and numpy are importable, 77 otherwise.

--exif-transpose applies ImageOps.exif_transpose() right after opening; the
reference CLIP transform does not, Spyglass's loader does.

Exit status 77 means PIL or numpy is missing: the caller skips.
"""

import argparse
import struct
import sys

try:
    import numpy as np
    from PIL import Image, ImageOps
except ImportError as e:
    print(f"preprocess-reference.py: {e}", file=sys.stderr)
    sys.exit(77)

CLIP_MEAN = (0.48145466, 0.4578275, 0.40821073)
CLIP_STD = (0.26862954, 0.26130258, 0.27577711)


def open_rgb(path, exif_transpose):
    image = Image.open(path)
    if exif_transpose:
        image = ImageOps.exif_transpose(image)
    return image.convert("RGB")


def resize_shorter_side(image, size):
    """torchvision.transforms.functional.resize(img, size) on a PIL image."""
    w, h = image.size
    short, long = (w, h) if w <= h else (h, w)
    new_short, new_long = size, int(size * long / short)
    new_w, new_h = (new_short, new_long) if w <= h else (new_long, new_short)
    return image.resize((new_w, new_h), Image.BICUBIC)


def center_crop(image, size):
    """torchvision.transforms.functional.center_crop (no padding needed here)."""
    w, h = image.size
    top = int(round((h - size) / 2.0))
    left = int(round((w - size) / 2.0))
    return image.crop((left, top, left + size, top + size))


def preprocess(image, size):
    image = center_crop(resize_shorter_side(image, size), size)
    # ToTensor and Normalize in float32, as torch computes them.
    x = np.asarray(image, dtype=np.uint8).astype(np.float32) / np.float32(255.0)
    mean = np.array(CLIP_MEAN, dtype=np.float32)
    std = np.array(CLIP_STD, dtype=np.float32)
    x = (x - mean) / std
    return np.ascontiguousarray(x.transpose(2, 0, 1), dtype="<f4")


def run(arguments):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true")
    parser.add_argument("--jobs")
    parser.add_argument("--exif-transpose", action="store_true")
    parser.add_argument("--decoded", action="store_true")
    parser.add_argument("args", nargs="*")
    options = parser.parse_args(arguments)

    if options.check:
        return
    if options.jobs is not None:
        with open(options.jobs, encoding="utf-8") as f:
            for line in f:
                if line.strip():
                    run(line.rstrip("\n").split("\t"))
        return
    if options.decoded:
        if len(options.args) != 2:
            parser.error("--decoded takes IMAGE OUT.rgb")
        image = open_rgb(options.args[0], options.exif_transpose)
        with open(options.args[1], "wb") as f:
            f.write(struct.pack("<II", *image.size))
            f.write(image.tobytes())
        return
    if len(options.args) != 3:
        parser.error("expected IMAGE SIZE OUT.f32")
    path, size, out = options.args[0], int(options.args[1]), options.args[2]
    tensor = preprocess(open_rgb(path, options.exif_transpose), size)
    with open(out, "wb") as f:
        f.write(tensor.tobytes())


if __name__ == "__main__":
    run(sys.argv[1:])
