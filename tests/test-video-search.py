#!/usr/bin/python3
"""test-video-search.py: a video is found by the moment that matches, through spyglass-cli.

    test-video-search.py SPYGLASS_CLI      (or SPYGLASS_CLI in the environment)

Issue 25's proof with the demo model: a 10-second clip (WebM, VP8, a keyframe
every 4 s) shows blue squares except in its 6th second, which shows a red
circle (tools/demo-scenes.py draws both); GStreamer's gst-launch-1.0 encodes
it at test time. Beside it, still pictures of other scenes, a QuickTime copy
of the clip (Motion JPEG) and a file of noise named .mp4. Then:

- `index` embeds both clips and fails the noise with a reason;
- `search --json "a red circle"` puts a clip first, as "kind": "video", with
  a "time" within 1 s of 6 s: the frame that scored, not the first or the
  middle one, and its "duration"; stills carry no kind;
- `similar` on the QuickTime copy finds the WebM clip, marked as a video;
- a second `index` finds nothing to do, and a renamed clip keeps its frames.

Needs Debian's python3-numpy and python3-pil and gstreamer1.0-tools with
plugins-base and -good; exits 77 (skipped) without them or without
data/models/demo.
"""

import json
import os
import shutil
import subprocess
import sys
import tempfile

from demo_test_common import MODEL_DIR, cli_or_exit_code, load_tool

FPS = 5
SECONDS = 10
CIRCLE_SECOND = 5  # [5, 6): the 6th second
SIDE = 160


def run_cli(cli, db, *args):
    cmd = [cli, "--db", db, "--model", MODEL_DIR, "--json", *args]
    out = subprocess.run(cmd, capture_output=True, text=True)
    if out.returncode != 0:
        raise SystemExit(f"FAIL: {' '.join(cmd)}: {out.stderr.strip()}")
    return json.loads(out.stdout)


def scene_image(scenes, colour, shape, background, index):
    labels = {"objects": [{"colour": colour, "shape": shape}], "count": 1, "size": "large",
              "position": "centre", "background": background, "mixed": False}
    image = scenes.render(labels, scenes.scene_rng(2525, index))
    return image.resize((SIDE, SIDE))


def encode(frames_dir, out, encoder, muxer):
    pipeline = (f"multifilesrc location={frames_dir}/frame-%03d.png index=0 "
                f"caps=image/png,framerate={FPS}/1 ! pngdec ! videoconvert ! {encoder} ! "
                f"{muxer} ! filesink location={out}")
    done = subprocess.run(["gst-launch-1.0", "-q", *pipeline.split()], capture_output=True,
                          text=True)
    if done.returncode != 0:
        raise SystemExit(f"FAIL: gst-launch-1.0 {pipeline}: {done.stderr.strip()}")


def has_element(name):
    return subprocess.run(["gst-inspect-1.0", "--exists", name]).returncode == 0


def main():
    if os.environ.get("SPYGLASS_SANITIZE"):
        # GStreamer's quarks make GLib leak its quark table on purpose;
        # tests/lsan.supp knows it by its full stack.
        asan = os.environ.get("ASAN_OPTIONS")
        os.environ["ASAN_OPTIONS"] = (asan + ":" if asan else "") + "fast_unwind_on_malloc=0"
    cli, code = cli_or_exit_code("test-video-search.py")
    if code is not None:
        return code
    if shutil.which("gst-launch-1.0") is None or not all(
            has_element(e) for e in ("vp8enc", "webmmux", "jpegenc", "qtmux", "pngdec")):
        print("SKIP: gst-launch-1.0 with vp8enc, webmmux, jpegenc, qtmux and pngdec"
              " (gstreamer1.0-tools, -good)")
        return 77
    scenes = load_tool("demo-scenes.py")

    with tempfile.TemporaryDirectory(prefix="spyglass-video-") as tmp:
        frames_dir = os.path.join(tmp, "frames")
        library = os.path.join(tmp, "library")
        os.makedirs(frames_dir)
        os.makedirs(library)
        for i in range(FPS * SECONDS):
            circle = i // FPS == CIRCLE_SECOND
            image = (scene_image(scenes, "red", "circle", "white", i) if circle
                     else scene_image(scenes, "blue", "square", "white", i))
            image.save(os.path.join(frames_dir, f"frame-{i:03d}.png"))
        # A keyframe every 4 s: the circle's second lies between keyframes,
        # found only by decoding on from the one before.
        encode(frames_dir, os.path.join(library, "clip.webm"),
               f"vp8enc keyframe-max-dist={4 * FPS} deadline=1", "webmmux")
        encode(frames_dir, os.path.join(library, "clip.mov"), "jpegenc", "qtmux")
        clips = ["clip.webm", "clip.mov"]
        for i, (colour, shape) in enumerate([("green", "triangle"), ("yellow", "star"),
                                             ("blue", "square")]):
            scene_image(scenes, colour, shape, "white", 100 + i).save(
                os.path.join(library, f"still-{i}.png"))
        with open(os.path.join(library, "noise.mp4"), "wb") as f:
            f.write(os.urandom(4096))

        db = os.path.join(tmp, "library.db")
        result = run_cli(cli, db, "index", library)
        failed = {os.path.basename(f["path"]): f["error"] for f in result["failed"]}
        status = run_cli(cli, db, "status")
        print(f"index: {status['embedded']} embedded, failed {failed}")
        assert set(failed) == {"noise.mp4"}, failed
        assert "noise.mp4" in failed["noise.mp4"] and failed["noise.mp4"].strip(), failed
        assert status["embedded"] == len(clips) + 3 and status["failed"] == 1, status

        found = run_cli(cli, db, "search", "a red circle", "--limit", "10")["results"]
        for hit in found:
            print(f"  {hit['score']:.4f} {os.path.basename(hit['path'])} "
                  f"{hit.get('kind', '')} {hit.get('time', '')}")
        first = found[0]
        assert os.path.basename(first["path"]) in clips, first
        for hit in found:
            is_clip = os.path.basename(hit["path"]) in clips
            assert (hit.get("kind") == "video") == is_clip, hit
            assert ("duration" in hit) == is_clip, hit
            if is_clip:
                assert abs(hit["time"] - (CIRCLE_SECOND + 1)) <= 1.0, hit
                assert abs(hit["duration"] - SECONDS) <= 0.5, hit

        # Similar to one clip: the other first (the same frames), marked as a video, no time.
        similar = run_cli(cli, db, "similar", os.path.join(library, "clip.mov"))["results"]
        first = similar[0]
        print(f"similar to clip.mov: {os.path.basename(first['path'])} {first}")
        assert os.path.basename(first["path"]) == "clip.webm", similar
        assert first["kind"] == "video" and "time" not in first, first
        assert abs(first["duration"] - SECONDS) <= 0.5, first

        # Unchanged: nothing to do. Renamed: the same frames, found under the new name.
        again = run_cli(cli, db, "index", library)
        assert again["added"] == 0 and again["updated"] == 0, again
        assert again["unchanged"] == len(clips) + 4 and not again["failed"], again
        os.rename(os.path.join(library, "clip.webm"), os.path.join(library, "moved.webm"))
        moved = run_cli(cli, db, "index", library)
        # A move counts as updated; it is neither added nor embedded again.
        assert moved["added"] == 0 and moved["removed"] == 0 and moved["updated"] == 1, moved
        assert run_cli(cli, db, "status")["pending"] == 0
        found = run_cli(cli, db, "search", "a red circle", "--limit", "10")["results"]
        names = [os.path.basename(h["path"]) for h in found]
        assert "moved.webm" in names and "clip.webm" not in names, names
        hit = found[names.index("moved.webm")]
        assert hit["kind"] == "video" and abs(hit["time"] - (CIRCLE_SECOND + 1)) <= 1.0, hit
    print("PASS")
    return 0


if __name__ == "__main__":
    sys.exit(main())
