"""demo_test_common.py: what the tests of the bundled demo model share.

Where the source tree and the demo model are, and the start every such test
makes: the spyglass-cli path from the command line or SPYGLASS_CLI, skipped
(exit 77) without the demo model or without Debian's python3-numpy and
python3-pil, which render the scenes.
"""

import importlib.util
import os
import sys

SOURCE_DIR = os.environ.get("SPYGLASS_SOURCE_DIR") or os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MODEL_DIR = os.path.join(SOURCE_DIR, "data", "models", "demo")


def cli_or_exit_code(script):
    """(spyglass-cli path, None) to go on, or (None, exit code): 2 usage, 77 skipped."""
    cli = sys.argv[1] if len(sys.argv) > 1 else os.environ.get("SPYGLASS_CLI")
    if not cli:
        print(f"usage: {script} SPYGLASS_CLI", file=sys.stderr)
        return None, 2
    if not os.path.exists(os.path.join(MODEL_DIR, "model.safetensors")):
        print(f"SKIP: no demo model in {MODEL_DIR}")
        return None, 77
    try:
        import numpy  # noqa: F401
        import PIL  # noqa: F401
    except ImportError as e:
        print(f"SKIP: {e} (Debian: python3-numpy, python3-pil)")
        return None, 77
    return cli, None


def load_tool(name):
    """A developer tool of tools/ as a module, for tests that share its measurements."""
    spec = importlib.util.spec_from_file_location(name.replace("-", "_")[:-3],
                                                  os.path.join(SOURCE_DIR, "tools", name))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
