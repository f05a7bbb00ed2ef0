#!/usr/bin/python3
"""bench-search-provider.py: GetInitialResultSet latency of the GNOME Shell search provider on a big library.

    xvfb-run -a tools/bench-search-provider.py --app build/src/app/spyglass \\
        --cli build/src/cli/spyglass-cli --model /tmp/vit-b-32 --photos 100000

Builds a library of --photos photos with tools/bench_library.py: two
rendered pictures indexed with spyglass-cli and the model, then rows and
embeddings added straight into SQLite up to the count. The added photos'
files do not exist: search never opens them.

Then, on a private session bus (Gio.TestDBus) that starts the app from a
D-Bus service file as the Shell's bus does, times with
g_dbus_connection_call_sync:

- cold: the first GetInitialResultSet of a fresh process (the process
  starts, GTK and the app register, the library's embeddings and the model
  load, the text is encoded, the index scanned);
- loaded: a fresh process woken first with org.freedesktop.DBus.Peer.Ping,
  then its first GetInitialResultSet (library and model loading, no process
  start);
- later: further queries of that process, each a different text;
- anchor: `spyglass-cli search` of the same library, the whole command.

Needs Debian's python3 with numpy, PIL and gi (python3-gi), a display for
GTK (xvfb-run) and the app built. Developer tool: no test runs it.
"""

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

import gi

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_library import make_library  # noqa: E402

gi.require_version("Gio", "2.0")
from gi.repository import Gio, GLib  # noqa: E402

APP_ID = "io.github.spyglass.Spyglass"
OBJECT_PATH = "/io/github/spyglass/Spyglass/SearchProvider"
INTERFACE = "org.gnome.Shell.SearchProvider2"
QUERIES = ["a dog on a beach", "sunset over the sea", "a red car", "birthday cake with candles",
           "snow in the mountains", "a cat sleeping", "city at night", "flowers in a garden",
           "people at a wedding", "a bowl of soup", "an old bridge", "children playing football",
           "a plane in the sky", "forest path in autumn", "a boat on a lake", "a plate of pasta"]


def start_bus(args, tmp, db):
    services = os.path.join(tmp, "services")
    os.makedirs(services)
    env = {
        "DISPLAY": os.environ["DISPLAY"],
        "SPYGLASS_DB": db,
        "SPYGLASS_MODEL": args.model,
        "SPYGLASS_INACTIVITY_TIMEOUT_MS": "600000",
        "GSETTINGS_BACKEND": "memory",
        "GSETTINGS_SCHEMA_DIR": args.schema_dir,
        "GDK_DEBUG": "gl-disable,vulkan-disable",
        "GSK_RENDERER": "cairo",
        "XDG_CACHE_HOME": os.path.join(tmp, "cache"),
    }
    exec_line = " ".join(["/usr/bin/env"] + [f"{k}={GLib.shell_quote(v)}" for k, v in env.items()] +
                         [GLib.shell_quote(os.path.abspath(args.app)), "--gapplication-service"])
    with open(os.path.join(services, APP_ID + ".service"), "w") as f:
        f.write(f"[D-BUS Service]\nName={APP_ID}\nExec={exec_line}\n")
    bus = Gio.TestDBus.new(Gio.TestDBusFlags.NONE)
    bus.add_service_dir(services)
    bus.up()
    return bus


def connect(bus):
    return Gio.DBusConnection.new_for_address_sync(
        bus.get_bus_address(),
        Gio.DBusConnectionFlags.AUTHENTICATION_CLIENT | Gio.DBusConnectionFlags.MESSAGE_BUS_CONNECTION,
        None, None)


def timed_search(connection, text):
    start = time.perf_counter()
    reply = connection.call_sync(APP_ID, OBJECT_PATH, INTERFACE, "GetInitialResultSet",
                                 GLib.Variant("(as)", (text.split(" "),)), GLib.VariantType("(as)"),
                                 Gio.DBusCallFlags.NONE, 120000, None)
    return time.perf_counter() - start, len(reply.unpack()[0])


def app_cpu_seconds(connection):
    """User + system CPU time the app's process has used so far: on a loaded machine the
    wall-clock figures stretch with the load, this does not."""
    pid, = connection.call_sync("org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus",
                                "GetConnectionUnixProcessID", GLib.Variant("(s)", (APP_ID,)),
                                GLib.VariantType("(u)"), Gio.DBusCallFlags.NONE, -1, None).unpack()
    # The Exec line is /usr/bin/env, which execs the app: same pid.
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def quit_app(connection):
    """The app's own quit action, as GApplication exports it; waits for the name to go."""
    connection.call_sync(APP_ID, "/io/github/spyglass/Spyglass", "org.gtk.Actions", "Activate",
                         GLib.Variant("(sava{sv})", ("quit", [], {})), None,
                         Gio.DBusCallFlags.NONE, 10000, None)
    while connection.call_sync("org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus",
                               "NameHasOwner", GLib.Variant("(s)", (APP_ID,)), GLib.VariantType("(b)"),
                               Gio.DBusCallFlags.NONE, -1, None).unpack()[0]:
        time.sleep(0.05)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--app", required=True, help="the built spyglass program")
    p.add_argument("--cli", required=True, help="the built spyglass-cli")
    p.add_argument("--model", required=True, help="the model folder to index and search with")
    p.add_argument("--schema-dir", default="build/data", help="where gschemas.compiled is")
    p.add_argument("--photos", type=int, default=100000)
    p.add_argument("--rounds", type=int, default=3, help="fresh processes per measurement")
    p.add_argument("--later", type=int, default=15, help="later queries per process")
    p.add_argument("--seed", type=int, default=1)
    args = p.parse_args()
    if "DISPLAY" not in os.environ:
        sys.exit("bench-search-provider.py: no $DISPLAY (run it under xvfb-run -a)")

    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        db, count, dim = make_library(args.cli, args.model, args.photos, args.seed, tmp)
        print(f"library: {count} photos with D = {dim} embeddings, made in "
              f"{time.perf_counter() - start:.1f} s")
        # The CLI shares the app's cache folder: its first run writes the saved search index
        # (where the build has one) that the later runs and the app's processes map.
        cli_env = dict(os.environ, XDG_CACHE_HOME=os.path.join(tmp, "cache"))
        anchors, anchors_cpu = [], []
        for i in range(args.rounds + 1):
            start = time.perf_counter()
            before = os.times()
            subprocess.run([args.cli, "--db", db, "--model", args.model, "search", QUERIES[i]],
                           check=True, capture_output=True, env=cli_env)
            after = os.times()
            anchors.append(time.perf_counter() - start)
            anchors_cpu.append(after.children_user + after.children_system -
                               before.children_user - before.children_system)
        print("anchor: spyglass-cli search, whole command (the first run builds the saved "
              "index): " + ", ".join(f"{t:.3f}" for t in anchors) + " s wall; CPU " +
              ", ".join(f"{t:.2f}" for t in anchors_cpu) + " s")

        bus = start_bus(args, tmp, db)
        try:
            connection = connect(bus)
            cold, cold_cpu, loaded, later, later_cpu = [], [], [], [], []
            for i in range(args.rounds):
                seconds, n = timed_search(connection, QUERIES[i])
                cold.append(seconds)
                cold_cpu.append(app_cpu_seconds(connection))
                quit_app(connection)
            for i in range(args.rounds):
                start = time.perf_counter()
                connection.call_sync(APP_ID, OBJECT_PATH, "org.freedesktop.DBus.Peer", "Ping", None,
                                     None, Gio.DBusCallFlags.NONE, 60000, None)
                started = time.perf_counter() - start
                seconds, n = timed_search(connection, QUERIES[i])
                loaded.append((started, seconds))
                cpu_before = app_cpu_seconds(connection)
                for k in range(args.later):
                    later.append(timed_search(connection, QUERIES[(i + k + 1) % len(QUERIES)])[0])
                later_cpu.append((app_cpu_seconds(connection) - cpu_before) / args.later)
                quit_app(connection)
            print("cold first GetInitialResultSet (process start included): " +
                  ", ".join(f"{t:.3f}" for t in cold) + " s wall; the process's CPU time by its "
                  "reply: " + ", ".join(f"{t:.2f}" for t in cold_cpu) + " s")
            print("process start to the first reply (Ping), then the first GetInitialResultSet: " +
                  ", ".join(f"{a:.3f} + {b:.3f}" for a, b in loaded) + " s")
            later.sort()
            print(f"later GetInitialResultSet ({len(later)} queries): median "
                  f"{statistics.median(later) * 1000:.1f} ms, 90th percentile "
                  f"{later[int(len(later) * 0.9)] * 1000:.1f} ms, min {later[0] * 1000:.1f} ms, "
                  f"max {later[-1] * 1000:.1f} ms; the process's CPU time per query: " +
                  ", ".join(f"{t * 1000:.0f}" for t in later_cpu) + " ms")
        finally:
            bus.down()


if __name__ == "__main__":
    sys.exit(main())
