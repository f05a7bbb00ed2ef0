#!/usr/bin/python3
"""bench-timeline.py: the timeline's first frame and frame times on a big library.

    xvfb-run -a -s '-screen 0 1920x1080x24' tools/bench-timeline.py --build build --photos 100000

Makes a library of --photos photos with tools/bench_library.py (rows added straight into
SQLite; each photo's file a symbolic link to one of two rendered pictures, so thumbnails
load; dates taken spread over 20 years, newest first about 14 a day), then runs
build/bench/bench-timeline (bench/bench-timeline.c) on it with GSK_RENDERER=cairo: the time
from the process's start to the first frame showing the timeline, the scrubber dragged from
top to bottom one step a frame (the main loop's longest stall, the frame intervals), a jump
to the oldest year, the peak resident memory. The same on a --anchor-photos library is the
anchor of the run: on a loaded machine compare the two, not the absolute figures.

Needs Debian's python3 with numpy and PIL, dbus-run-session, a display (xvfb-run) and the
app built. Developer tool: no test runs it.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_library import make_library  # noqa: E402

NEWEST = 1767139200  # 2025-12-31T00:00:00Z
TWENTY_YEARS = 20 * 365 * 86400


def spread_taken(photos):
    """Dates over 20 years, newest first, at varying times of day."""
    def taken(k):
        when = NEWEST - (k * TWENTY_YEARS) // max(photos, 1) - (k * 7919) % 36000
        return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(when))
    return taken


def run_bench(args, photos, tmp):
    start = time.perf_counter()
    db, count, _ = make_library(args.cli, args.model, photos, args.seed, tmp,
                                taken=spread_taken(photos), link_files=True)
    made = time.perf_counter() - start
    env = dict(os.environ,
               SPYGLASS_DB=db, SPYGLASS_MODEL=args.model,
               SPYGLASS_DATADIR=os.path.abspath("data"),
               SPYGLASS_DECODE_HELPER=os.path.join(args.build, "src", "library", "spyglass-decode"),
               GSETTINGS_BACKEND="memory", GSETTINGS_SCHEMA_DIR=os.path.join(args.build, "data"),
               GSK_RENDERER="cairo", GDK_DEBUG="gl-disable,vulkan-disable", GTK_A11Y="none",
               XDG_CACHE_HOME=os.path.join(tmp, "cache"), XDG_DATA_HOME=os.path.join(tmp, "data"),
               XDG_CONFIG_HOME=os.path.join(tmp, "config"), TZ="UTC", LC_ALL="C.UTF-8")
    bench = os.path.join(args.build, "bench", "bench-timeline")
    env["BENCH_START_US"] = str(time.monotonic_ns() // 1000)
    out = subprocess.run(["dbus-run-session", "--", bench, str(args.steps)], env=env, check=True,
                         capture_output=True, text=True).stdout
    result = json.loads(out.strip().splitlines()[-1])
    result["library_made_s"] = round(made, 1)
    result["embedded"] = count
    return result


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--build", default="build", help="the build folder")
    p.add_argument("--cli", help="spyglass-cli (default: BUILD/src/cli/spyglass-cli)")
    p.add_argument("--model", default="data/models/demo", help="the model to index with")
    p.add_argument("--photos", type=int, default=100000)
    p.add_argument("--anchor-photos", type=int, default=1000)
    p.add_argument("--steps", type=int, default=600, help="scrubber steps, one a frame")
    p.add_argument("--seed", type=int, default=1)
    args = p.parse_args()
    args.cli = args.cli or os.path.join(args.build, "src", "cli", "spyglass-cli")
    args.model = os.path.abspath(args.model)
    if "DISPLAY" not in os.environ:
        sys.exit("bench-timeline.py: no $DISPLAY (run it under xvfb-run -a)")
    with open("/proc/loadavg") as f:
        print("load average before:", " ".join(f.read().split()[:3]))
    for photos in (args.anchor_photos, args.photos):
        with tempfile.TemporaryDirectory() as tmp:
            print(json.dumps(run_bench(args, photos, tmp)), flush=True)
    with open("/proc/loadavg") as f:
        print("load average after:", " ".join(f.read().split()[:3]))


if __name__ == "__main__":
    sys.exit(main())
