"""The Makefile as a newcomer meets it: system packages named first, e-mailed links on the served port."""

import re
import shutil
import subprocess
import threading
import urllib.request
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from tests.orders.helpers import links_in
from worker import runtime

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")


def make(*args, **environ):
    clean = {"PATH": "/usr/bin:/bin", **environ}
    return subprocess.run(["make", "--no-print-directory", "-C", str(ROOT), *args], env=clean,
                          capture_output=True, text=True, timeout=60)


def served_command(**environ):
    """The command `make run` would start, read from a dry run."""
    return make("-n", "run", **environ).stdout.strip().splitlines()[-1]


def test_make_run_points_e_mailed_links_at_the_port_it_serves():
    command = served_command(PORT="18500")

    assert "PUBLIC_BASE_URL=http://127.0.0.1:18500 " in command
    assert command.endswith("--port 18500")


def test_a_public_address_that_is_set_is_kept():
    assert "PUBLIC_BASE_URL=https://help.shop.example " in served_command(
        PORT="18500", PUBLIC_BASE_URL="https://help.shop.example")


def test_a_machine_without_python_venv_is_told_in_one_line_what_to_install(tmp_path):
    python_without_venv = tmp_path / "python3"
    python_without_venv.write_text("#!/bin/sh\nexit 1\n")
    python_without_venv.chmod(0o755)

    result = make("check-system", PYTHON=str(python_without_venv))

    assert result.returncode != 0
    [line] = [line for line in result.stdout.splitlines() if line]
    assert line.startswith("First install the system packages: sudo apt-get install make python3 python3-venv")


def test_this_machine_passes_the_system_check():
    assert make("check-system", PYTHON=shutil.which("python3") or "python3").returncode == 0


def test_the_readme_names_the_system_packages_in_its_first_lines():
    first_lines = "\n".join((ROOT / "README.md").read_text().splitlines()[:20])

    assert "apt-get install make python3 python3-venv" in first_lines


def test_a_sign_in_link_from_a_delivered_e_mail_opens_a_page_that_answers(app, db, client, customer, redis,
                                                                           mail_sink):
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        # The address `make run` would give the worker for this port.
        command = served_command(PORT=str(server.server_port))
        app.config["PUBLIC_BASE_URL"] = re.search(r"PUBLIC_BASE_URL=(\S+)", command).group(1)
        client.post("/signin", data={"email": customer.email})
        runtime.run(app, burst=True)
        [message] = mail_sink.to(customer.email)
        [link] = [url for url in links_in(message) if "/signin/" in url]

        with urllib.request.urlopen(link, timeout=10) as answer:
            assert answer.status == 200
            assert link.startswith(f"http://127.0.0.1:{server.server_port}/")
            assert "Sign in" in answer.read().decode()
    finally:
        server.shutdown()
        thread.join(timeout=5)
