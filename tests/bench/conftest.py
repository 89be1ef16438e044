"""`make bench` writes what each benchmark printed (its figures beside the baselines of the same run), with when,
on what machine and at which commit, to tests/bench/RESULTS.md, which the README links: the figures a reader
sees are the last run's, never copied by hand. A run of some benchmarks (`BENCH_ARGS="-k search"`) replaces
their sections and keeps the others, each dated."""

import io
import os
import platform
import re
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

RESULTS = Path(__file__).with_name("RESULTS.md")
SECTION = re.compile(r"^## `(?P<name>[^`]+)`\n(?P<body>.*?)(?=^## `|\Z)", re.M | re.S)
_runs = {}


class _Tee(io.TextIOBase):
    """Writes to the terminal and keeps a copy."""

    def __init__(self, terminal):
        self.terminal, self.copy = terminal, io.StringIO()

    def write(self, text):
        self.terminal.write(text)
        return self.copy.write(text)

    def flush(self):
        self.terminal.flush()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item):
    terminal = sys.stdout
    sys.stdout = tee = _Tee(terminal)
    started = time.perf_counter()
    try:
        outcome = yield
    finally:
        sys.stdout = terminal
    _runs[item.nodeid.split("/")[-1]] = {
        "passed": outcome.excinfo is None, "seconds": time.perf_counter() - started, "printed": tee.copy.getvalue(),
    }


def _commit():
    try:
        return subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                              cwd=RESULTS.parent, check=False).stdout.strip() or "unknown"
    except OSError:
        return "unknown"


def _section(name, run, stamp):
    verdict = "passed" if run["passed"] else "FAILED (a target missed, or an error)"
    printed = run["printed"].strip() or "(printed nothing)"
    return f"## `{name}`\n\n{stamp}; {verdict} in {run['seconds']:.0f} s.\n\n```text\n{printed}\n```\n\n"


def pytest_sessionfinish(session, exitstatus):
    if not _runs:
        return
    load = ", ".join(f"{figure:.1f}" for figure in os.getloadavg())
    stamp = (f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, commit {_commit()}, {os.cpu_count()} cores "
             f"({platform.machine()}), load average {load} at the end")
    kept = {}
    if RESULTS.exists():
        kept = {m["name"]: m.group(0) for m in SECTION.finditer(RESULTS.read_text(encoding="utf-8"))}
    kept.update({name: _section(name, run, stamp) for name, run in _runs.items()})
    header = ("# Benchmark results\n\nWritten by `make bench` (tests/bench/conftest.py): what each benchmark "
              "printed, beside the baselines measured in the same run. Do not edit by hand; run the benchmark "
              "again.\n\n")
    RESULTS.write_text(header + "".join(kept[name] for name in sorted(kept)).rstrip("\n") + "\n",
                       encoding="utf-8")
