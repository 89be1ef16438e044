"""Faults the issue probed: kill -9 of a worker mid-batch, Redis flushed, and kill -9 of the worker under the
supervisor `make run` uses. Real worker processes, real Redis, a real SMTP server on loopback."""

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from datetime import timedelta

import pytest

from portal.models import utcnow
from portal.supervisor import Child, Supervisor
from tests.worker.test_faults import PROJECT_ROOT, _rows, _start_worker, _stop, _wait_for, _welcome_many
from worker import relay, runtime

pytestmark = pytest.mark.integration


def _each_got_one(smtp_server, customers):
    return all(len(smtp_server.to(customer.email)) == 1 for customer in customers)


def test_a_worker_killed_mid_batch_has_its_rows_handed_out_again_within_a_minute(app, db, redis, make_customer,
                                                                                 smtp_server):
    smtp_server.accepting.clear()  # the server holds the first DATA: the worker is inside its batch
    customers = _welcome_many(db, make_customer, 5, "batch")
    worker = _start_worker(app, app.config["REDIS_URL"])
    try:
        assert smtp_server.data_started.wait(30), "the worker never started sending"
        worker.send_signal(signal.SIGKILL)
        worker.wait(10)
        killed_at = time.monotonic()
        assert smtp_server.abandoned.wait(10)
        smtp_server.accepting.set()
        assert sorted(row.status for row in _rows(db)) == ["enqueued"] * 4 + ["running"]

        worker = _start_worker(app, app.config["REDIS_URL"])
        assert _wait_for(lambda: all(row.status == "done" for row in _rows(db)), timeout=60)
        handed_out_again_after = time.monotonic() - killed_at
    finally:
        output = _stop(worker)
    assert handed_out_again_after < 60, output
    assert _each_got_one(smtp_server, customers), output


def test_a_flushed_redis_loses_no_mail(app, db, redis, make_customer, smtp_server):
    customers = _welcome_many(db, make_customer, 3, "flush")
    relay.relay_all_due(redis)
    assert {row.status for row in _rows(db)} == {"enqueued"}

    redis.flushdb()
    later = utcnow() + app.config["OUTBOX_STALE_AFTER"] + timedelta(seconds=1)
    assert relay.requeue_lost(redis, now=later) >= 3
    runtime.run(app, burst=True)

    assert {row.status for row in _rows(db)} == {"done"}
    assert _each_got_one(smtp_server, customers)


def _free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _answers(url):
    try:
        with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 - our own loopback server
            return response.status == 200
    except OSError:
        return False


def test_under_the_supervisor_a_killed_worker_comes_back_and_the_portal_keeps_serving(app, db, redis, make_customer,
                                                                                      smtp_server):
    port = _free_port()
    lines = []

    def start_worker():
        return _start_worker(app, app.config["REDIS_URL"])

    def start_web():
        env = dict(os.environ, SECRET_KEY=app.config["SECRET_KEY"], DATABASE_URL=app.config["SQLALCHEMY_DATABASE_URI"],
                   REDIS_URL=app.config["REDIS_URL"], MAIL_URL=app.config["MAIL_URL"],
                   SEARCH_INDEX_DIR=app.config["SEARCH_INDEX_DIR"])
        return subprocess.Popen([sys.executable, "-m", "gunicorn", "wsgi:app", "--bind", f"127.0.0.1:{port}",
                                 "--workers", "1", "--no-control-socket"], cwd=PROJECT_ROOT, env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    supervisor = Supervisor([Child("worker", start_worker), Child("web server", start_web)], echo=lines.append)
    supervisor.start_all()
    try:
        assert _wait_for(lambda: _answers(f"http://127.0.0.1:{port}/help/"), timeout=60), "gunicorn never served"
        customers = _welcome_many(db, make_customer, 3, "supervised")
        old_worker = supervisor.children[0].process
        old_worker.send_signal(signal.SIGKILL)
        killed_at = time.monotonic()

        assert _wait_for(lambda: (supervisor.check(), supervisor.children[0].process is not old_worker)[1],
                         timeout=15)
        assert _answers(f"http://127.0.0.1:{port}/help/")
        assert _wait_for(lambda: (supervisor.check(), _each_got_one(smtp_server, customers))[1], timeout=60)
        assert time.monotonic() - killed_at < 60
    finally:
        supervisor.stop_all()
    assert lines[0].startswith("the worker stopped (exit -9); restarting it in 1 s")
    assert all(row.status == "done" for row in _rows(db))
