"""bench_library.py: a big library made quickly, for the developer benchmarks in tools/.

Two rendered pictures are indexed with spyglass-cli and the model (so the store, the schema
and the model's record are the real ones), then rows and embeddings are added straight into
SQLite up to the count, "clip-like" vectors as `spyglass-cli bench search` makes them (a
shared direction, a few dimensions four times larger). The store's triggers give the added
rows their timeline dates (photos.date_taken) from `taken`.

The added photos' files do not exist unless link_files: then each is a symbolic link to one
of the two pictures, so that thumbnails load as they would for real files.
"""

import os
import sqlite3
import subprocess
import time

import numpy as np
from PIL import Image


def cycled_taken(k):
    """An EXIF date cycling through 2005-2024 (420 distinct days): what search benchmarks use."""
    return f"{2005 + k % 20:04d}-{1 + k % 12:02d}-{1 + k % 28:02d}T12:00:00"


def make_library(cli, model, photos, seed, tmp, taken=cycled_taken, link_files=False):
    """The library file, with `photos` photos of the model: (db path, embeddings, dimension)."""
    folder = os.path.join(tmp, "Pictures")
    os.makedirs(folder)
    rng = np.random.default_rng(seed)
    seeds = []
    for i in range(2):
        pixels = rng.integers(0, 255, (240, 320, 3), dtype=np.uint8)
        seeds.append(os.path.join(folder, f"seed-{i}.png"))
        Image.fromarray(pixels).save(seeds[-1])
    db = os.path.join(tmp, "library.db")
    subprocess.run([cli, "--db", db, "--model", model, "index", folder], check=True,
                   capture_output=True)
    big = os.path.join(folder, "big")
    if link_files:
        os.makedirs(big)
    con = sqlite3.connect(db)
    model_id, dim = con.execute("SELECT id, dim FROM models WHERE current = 1").fetchone()
    folder_id, = con.execute("SELECT id FROM folders").fetchone()
    have, = con.execute("SELECT COUNT(*) FROM photos").fetchone()
    shared = rng.standard_normal(dim).astype(np.float32)
    shared /= np.linalg.norm(shared)
    large = rng.choice(dim, 8, replace=False)
    now = int(time.time())
    batch = 10000
    for start in range(have, photos, batch):
        n = min(batch, photos - start)
        vectors = rng.standard_normal((n, dim)).astype(np.float32)
        vectors[:, large] *= 4
        vectors += 2.0 * shared
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
        rows = []
        for i in range(n):
            k = start + i
            path = os.path.join(big, f"{k:06d}.png")
            if link_files:
                os.symlink(seeds[k % 2], path)
            rows.append((folder_id, path, 1000000, now * 1000000000, "embedded", taken(k), now,
                         now))
        con.executemany("INSERT INTO photos (folder_id, path, size, mtime, state, taken, added,"
                        " updated) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", rows)
        first_id, = con.execute("SELECT MAX(id) FROM photos").fetchone()
        first_id -= n - 1
        con.executemany("INSERT INTO embeddings (photo_id, model_id, dim, vector) VALUES (?, ?, ?, ?)",
                        [(first_id + i, model_id, dim, vectors[i].astype("<f4").tobytes())
                         for i in range(n)])
        con.commit()
    count, = con.execute("SELECT COUNT(*) FROM embeddings WHERE model_id = ?", (model_id,)).fetchone()
    con.close()
    return db, count, dim
