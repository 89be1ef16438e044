"""`flask serve` keeps its children (Redis, worker, web server) running: one crash is not the end of everything.

A child that exits is started again after a pause that doubles with each recent crash, and the terminal says
so. Only Ctrl-C (or SIGTERM) stops everything, or a child that keeps crashing: restarting it forever would
hide a real fault behind a scrolling log.
"""

import signal
import subprocess
import time
from dataclasses import dataclass, field

# Pauses before restarting a child, by how many times it crashed within the window.
BACKOFF_SECONDS = (1, 2, 4, 8, 16)
CRASH_LIMIT = 5
CRASH_WINDOW_SECONDS = 120


def terminate(process, timeout=30):
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@dataclass
class Child:
    """A process the supervisor keeps alive: `start()` returns a running Popen, `stop(process)` ends it."""

    name: str
    start: callable
    stop: callable = terminate
    process: object = None
    crashes: list = field(default_factory=list)
    restart_at: float | None = None


class GaveUp(RuntimeError):
    """A child crashed more than CRASH_LIMIT times within CRASH_WINDOW_SECONDS."""


class Supervisor:
    def __init__(self, children, echo, backoff=BACKOFF_SECONDS, crash_limit=CRASH_LIMIT,
                 crash_window=CRASH_WINDOW_SECONDS, clock=time.monotonic):
        self.children = children
        self.echo = echo
        self.backoff = backoff
        self.crash_limit = crash_limit
        self.crash_window = crash_window
        self.clock = clock

    def start_all(self):
        for child in self.children:
            child.process = child.start()

    def running(self):
        return [(child.name, child.process) for child in self.children if child.process is not None]

    def check(self):
        """One round: notice children that exited, restart those whose pause is over. Raises GaveUp."""
        now = self.clock()
        for child in self.children:
            if child.restart_at is not None:
                if now >= child.restart_at:
                    child.restart_at = None
                    child.process = child.start()
                    self.echo(f"the {child.name} is running again (pid {child.process.pid})")
                continue
            if child.process is None or child.process.poll() is None:
                continue
            code = child.process.returncode
            child.crashes = [at for at in child.crashes if now - at < self.crash_window] + [now]
            if len(child.crashes) > self.crash_limit:
                raise GaveUp(f"the {child.name} stopped {len(child.crashes)} times within "
                             f"{self.crash_window} s (last exit {code}); stopping everything")
            pause = self.backoff[min(len(child.crashes), len(self.backoff)) - 1]
            child.restart_at = now + pause
            self.echo(f"the {child.name} stopped (exit {code}); restarting it in {pause} s")

    def run(self, should_stop, interval=0.5):
        """Watch until `should_stop()`; then, or when a child keeps crashing, the caller stops everything."""
        while not should_stop():
            self.check()
            time.sleep(interval)

    def stop_all(self):
        # The reverse of the start order: web first (no new work), then the worker (finishes its job), then Redis.
        for child in reversed(self.children):
            if child.process is not None:
                child.stop(child.process)
                child.process = None
