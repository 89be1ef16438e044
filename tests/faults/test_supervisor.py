"""The supervisor behind `make run`: a child killed with -9 comes back after a pause, the others keep running,
and only a child that keeps crashing stops everything."""

import os
import signal
import subprocess
import sys
import time

import pytest

from portal.supervisor import Child, GaveUp, Supervisor

SLEEPER = [sys.executable, "-c", "import time; time.sleep(120)"]
CRASHER = [sys.executable, "-c", "raise SystemExit(3)"]


def _spawn(command):
    return lambda: subprocess.Popen(command, start_new_session=True)


def _watch(supervisor, until, timeout=15):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        supervisor.check()
        if until():
            return True
        time.sleep(0.05)
    return False


@pytest.fixture
def lines():
    return []


@pytest.fixture
def supervised(lines):
    supervisor = Supervisor([Child("worker", _spawn(SLEEPER)), Child("web server", _spawn(SLEEPER))],
                            echo=lines.append, backoff=(0.2, 0.4))
    supervisor.start_all()
    yield supervisor
    supervisor.stop_all()


def test_a_killed_child_is_restarted_after_a_pause_and_the_others_keep_running(supervised, lines):
    worker, web = supervised.children
    first_pid, web_pid = worker.process.pid, web.process.pid

    os.kill(first_pid, signal.SIGKILL)

    assert _watch(supervised, lambda: worker.process.pid != first_pid and worker.process.poll() is None)
    assert web.process.pid == web_pid and web.process.poll() is None
    assert lines[0] == "the worker stopped (exit -9); restarting it in 0.2 s"
    assert lines[1] == f"the worker is running again (pid {worker.process.pid})"


def test_the_pause_grows_with_each_recent_crash(supervised, lines):
    worker = supervised.children[0]
    for _ in range(2):
        pid = worker.process.pid
        os.kill(pid, signal.SIGKILL)
        assert _watch(supervised, lambda pid=pid: worker.process.pid != pid)

    assert [line for line in lines if "restarting" in line] == [
        "the worker stopped (exit -9); restarting it in 0.2 s", "the worker stopped (exit -9); restarting it in 0.4 s"]


def test_a_child_that_keeps_crashing_stops_everything(lines):
    supervisor = Supervisor([Child("worker", _spawn(CRASHER)), Child("web server", _spawn(SLEEPER))],
                            echo=lines.append, backoff=(0.01,), crash_limit=3)
    supervisor.start_all()
    web = supervisor.children[1].process
    try:
        with pytest.raises(GaveUp, match="the worker stopped 4 times within 120 s"):
            _watch(supervisor, lambda: False)
    finally:
        supervisor.stop_all()
    assert web.poll() is not None


def test_stop_all_ends_every_child(supervised):
    processes = [child.process for child in supervised.children]

    supervised.stop_all()

    assert all(process.poll() is not None for process in processes)
