"""safetensors_np.py: safetensors files read and written with numpy alone (Debian has no
safetensors package). Developer tools and benchmarks only."""

import json

import numpy as np


def write_safetensors(path, tensors, dtype="F16"):
    """name → numpy array, written as F16 or F32, names sorted, the data area 8-byte aligned."""
    np_dtype = {"F16": "<f2", "F32": "<f4"}[dtype]
    entries, offset, blobs = {}, 0, []
    for name in sorted(tensors):
        data = np.ascontiguousarray(tensors[name].astype(np_dtype)).tobytes()
        entries[name] = {"dtype": dtype, "shape": list(tensors[name].shape),
                         "data_offsets": [offset, offset + len(data)]}
        offset += len(data)
        blobs.append(data)
    entries["__metadata__"] = {"format": "pt"}
    header = json.dumps(entries, separators=(",", ":")).encode("utf-8")
    header += b" " * (-len(header) % 8)
    with open(path, "wb") as f:
        f.write(len(header).to_bytes(8, "little"))
        f.write(header)
        for blob in blobs:
            f.write(blob)



def read_safetensors(path):
    """name → float32 numpy array (F32, F16 and BF16 tensors; I64 ones such as position ids are
    left out). Raises OSError or ValueError for a file that cannot be read."""
    with open(path, "rb") as f:
        n = int.from_bytes(f.read(8), "little")
        header = json.loads(f.read(n))
        data = f.read()
    out = {}
    for name, e in header.items():
        if name == "__metadata__" or e["dtype"] == "I64":
            continue
        a, b = e["data_offsets"]
        raw = data[a:b]
        if e["dtype"] == "BF16":
            values = (np.frombuffer(raw, dtype="<u2").astype(np.uint32) << 16).view(np.float32)
        else:
            values = np.frombuffer(raw, dtype={"F16": "<f2", "F32": "<f4"}[e["dtype"]])
        out[name] = values.reshape(e["shape"]).astype(np.float32)
    return out
