"""The gunicorn entry point."""

import subprocess
import sys
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]


def test_the_entry_point_freezes_what_it_loaded_so_full_collections_skip_it(test_environ):
    # A process of its own: freezing this one would keep the test session's objects forever.
    # After the import nearly every tracked object sits in the frozen generation, which full passes skip.
    script = ("import gc, wsgi; "
              "print(wsgi.app.name, gc.get_freeze_count(), len(gc.get_objects()))")
    result = subprocess.run([sys.executable, "-c", script], cwd=PROJECT_ROOT, env=test_environ | {"PATH": ""},
                            capture_output=True, text=True, timeout=120, check=True)

    name, frozen, still_walked = result.stdout.split()
    assert name == "portal"
    assert int(still_walked) < int(frozen) / 100
