"""Faults against a real worker process, real Redis and a real SMTP server on loopback.

The delivery promise these tests hold the worker to: every notification is sent at least once, and
exactly once unless the worker dies in one window, after the SMTP server accepted the message and
before the outbox row is marked done (the commit that records the Message-ID). A kill in that window
sends the e-mail again when the row is handed out; `test_a_kill_after_the_server_accepted_sends_again`
shows it.
"""

import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from redis import Redis
from sqlalchemy import select, text

from portal.embedded_redis import EmbeddedRedis
from portal.jobs import JOBS, schedule
from portal.models import OutboxRow, utcnow
from worker import relay, runtime

pytestmark = pytest.mark.integration
PROJECT_ROOT = Path(__file__).resolve().parents[2]


def _rows(db):
    """The welcome mails' rows (the worker also writes its periodic SLA sweep's)."""
    db.session.expire_all()
    return db.session.scalars(select(OutboxRow).where(OutboxRow.job_name == "mail.welcome")
                              .order_by(OutboxRow.id)).all()


def _wait_for(predicate, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


def _start_worker(app, redis_url, **settings):
    env = dict(os.environ)
    env.update({
        "SECRET_KEY": app.config["SECRET_KEY"], "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "REDIS_URL": redis_url, "MAIL_URL": app.config["MAIL_URL"],
        "SEARCH_INDEX_DIR": app.config["SEARCH_INDEX_DIR"], "PUBLIC_BASE_URL": app.config["PUBLIC_BASE_URL"],
        "OUTBOX_RELAY_INTERVAL_SECONDS": "0.1",
    })
    env.update({name: str(value) for name, value in settings.items()})
    return subprocess.Popen([sys.executable, "-m", "worker"], cwd=PROJECT_ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


def _stop(worker):
    """Stop as a supervisor does: SIGTERM (the job at hand finishes first), then SIGKILL after a grace period.
    On a loaded machine a periodic job can outlast the grace; stopping is cleanup here, not what is tested."""
    if worker.poll() is None:
        worker.terminate()
    try:
        return worker.communicate(timeout=30)[0].decode()
    except subprocess.TimeoutExpired:
        worker.kill()
        return worker.communicate()[0].decode() + "\n(killed after 30 s of warm shutdown)"


def _welcome_many(db, make_customer, count, prefix):
    customers = [make_customer(email=f"{prefix}{n}@example.com") for n in range(count)]
    for customer in customers:
        schedule("mail.welcome", customer.id, key=f"welcome:{customer.id}")
    db.session.commit()
    return customers


def _hand_out_the_orphan(db, redis):
    """Move the clock past the job's timeout and the stale margin, so the relay hands out the orphaned row."""
    later = utcnow() + timedelta(seconds=JOBS["mail.welcome"].timeout) + timedelta(minutes=10)
    # The worker's own periodic SLA-sweep row may be handed out too: look at the welcome mail's row.
    assert relay.requeue_lost(redis, now=later) >= 1
    assert _rows(db)[0].status == "pending"


def test_a_worker_killed_mid_send_is_restarted_and_the_mail_arrives_once(app, db, redis, customer, smtp_server):
    smtp_server.accepting.clear()  # the server holds the DATA: the worker is inside the send
    schedule("mail.welcome", customer.id, key="welcome:kill")
    db.session.commit()
    worker = _start_worker(app, app.config["REDIS_URL"])
    try:
        assert smtp_server.data_started.wait(30), "the worker never started sending"
        worker.send_signal(signal.SIGKILL)
        worker.wait(10)
        assert smtp_server.abandoned.wait(10), "the server did not see the client go"
        smtp_server.accepting.set()
        [row] = _rows(db)
        assert row.status == "running"
        assert smtp_server.messages == []

        _hand_out_the_orphan(db, redis)
        worker = _start_worker(app, app.config["REDIS_URL"])
        assert _wait_for(lambda: _rows(db)[0].status == "done")
    finally:
        output = _stop(worker)
    assert len(smtp_server.to("alice@example.com")) == 1, output
    assert _rows(db)[0].attempts == 2


def _hold_the_outbox(db):
    """A transaction that keeps the worker from committing its outbox row (a lock on both backends)."""
    connection = db.engine.connect()
    if connection.dialect.name == "sqlite":
        connection.exec_driver_sql("BEGIN IMMEDIATE")
    else:
        connection.begin()
        connection.execute(text("SELECT id FROM outbox FOR UPDATE"))
    return connection


def test_a_kill_after_the_server_accepted_sends_again(app, db, redis, customer, smtp_server):
    """The documented window: accepted by SMTP, killed before `done` committed -> the e-mail goes twice."""
    smtp_server.accepting.clear()
    schedule("mail.welcome", customer.id, key="welcome:window")
    db.session.commit()
    worker = _start_worker(app, app.config["REDIS_URL"])
    try:
        assert smtp_server.data_started.wait(30)
        lock = _hold_the_outbox(db)
        smtp_server.accepting.set()
        assert _wait_for(lambda: len(smtp_server.messages) == 1)
        time.sleep(0.3)  # the worker is now waiting to commit `done`
        worker.send_signal(signal.SIGKILL)
        worker.wait(10)
        lock.rollback()
        lock.close()
        assert _rows(db)[0].status == "running"

        _hand_out_the_orphan(db, redis)
        worker = _start_worker(app, app.config["REDIS_URL"])
        assert _wait_for(lambda: _rows(db)[0].status == "done")
    finally:
        output = _stop(worker)
    assert len(smtp_server.to("alice@example.com")) == 2, output


def test_redis_stopped_and_restarted_mid_stream_loses_no_notification(app, db, make_customer, smtp_server, tmp_path):
    server = EmbeddedRedis(tmp_path / "r.sock").start()
    customers = _welcome_many(db, make_customer, 60, "stream")
    smtp_server.accepting.clear()
    worker = _start_worker(app, server.url, OUTBOX_STALE_SECONDS=1, OUTBOX_BATCH_SIZE=5)
    try:
        assert smtp_server.data_started.wait(30)
        server.stop()  # mid-stream: jobs are queued in Redis and one is being sent
        smtp_server.accepting.set()
        time.sleep(1.5)
        server.start()  # an empty Redis: what it held is gone
        all_done = _wait_for(lambda: all(row.status == "done" for row in _rows(db)), timeout=60)
    finally:
        output = _stop(worker)
        server.stop()
    assert all_done, output
    for customer in customers:
        assert len(smtp_server.to(customer.email)) == 1, customer.email


def test_two_workers_on_the_same_queue_send_each_mail_once(app, db, redis, make_customer, smtp_server):
    customers = _welcome_many(db, make_customer, 80, "pair")
    workers = [_start_worker(app, app.config["REDIS_URL"], OUTBOX_BATCH_SIZE=2) for _ in range(2)]
    try:
        all_done = _wait_for(lambda: all(row.status == "done" for row in _rows(db)), timeout=60)
    finally:
        outputs = [_stop(worker) for worker in workers]
    assert all_done, outputs
    assert all("mail.welcome key=" in output for output in outputs), "one worker did all the work"
    for customer in customers:
        assert len(smtp_server.to(customer.email)) == 1, customer.email


def _retry_until_failed(app, db):
    """Run every attempt the retry schedule allows, moving the clock past each back-off."""
    delays = app.config["OUTBOX_RETRY_DELAYS"]
    for _attempt in range(len(delays) + 1):
        runtime.run(app, burst=True, now=utcnow() + delays[-1] * 2)
    return _rows(db)[0]


def test_a_hanging_smtp_server_leads_to_retries_then_failed_visible_in_healthz(app, db, redis, client, customer,
                                                                               smtp_server):
    app.config["MAIL_TIMEOUT"] = 1
    smtp_server.mode = "hang"
    schedule("mail.welcome", customer.id, key="welcome:hang")
    db.session.commit()

    row = _retry_until_failed(app, db)

    assert (row.status, row.attempts) == ("failed", len(app.config["OUTBOX_RETRY_DELAYS"]) + 1)
    assert "timed out" in row.last_error
    health = client.get("/healthz").get_json()
    assert health["checks"]["database"]["outbox_failed"] == 1


def test_a_refusing_smtp_server_leads_to_retries_then_failed(app, db, redis, customer, smtp_server):
    smtp_server.mode = "refuse"
    schedule("mail.welcome", customer.id, key="welcome:refuse")
    db.session.commit()

    runtime.run(app, burst=True)
    row = _rows(db)[0]
    assert (row.status, row.attempts) == ("pending", 1)
    assert row.not_before > utcnow()  # backed off, not retried at once

    row = _retry_until_failed(app, db)
    assert row.status == "failed"
    assert "451" in row.last_error
    assert smtp_server.messages == []


def test_sigterm_finishes_the_mail_at_hand_gives_the_rest_back_and_exits_cleanly(app, db, redis, make_customer,
                                                                                smtp_server):
    _welcome_many(db, make_customer, 10, "term")
    smtp_server.accepting.clear()
    worker = _start_worker(app, app.config["REDIS_URL"], OUTBOX_BATCH_SIZE=10)
    assert smtp_server.data_started.wait(30)
    worker.send_signal(signal.SIGTERM)
    time.sleep(0.3)
    smtp_server.accepting.set()
    output = worker.communicate(timeout=30)[0].decode()

    assert worker.returncode == 0, output
    statuses = [row.status for row in _rows(db)]
    assert statuses.count("done") == 1, output
    # Given back at once (pending), or still queued in Redis for the next worker (enqueued): none half-done.
    assert statuses.count("pending") + statuses.count("enqueued") == 9, output
    assert "gave back" in output
    assert len(smtp_server.messages) == 1
    assert not Redis.from_url(app.config["REDIS_URL"]).keys("portal:worker:heartbeat:*")


def test_a_stop_signal_that_lands_inside_a_redis_call_still_stops_the_worker(app, redis):
    import threading

    from rq.worker import WorkerStatus

    worker = runtime.make_worker(app, Redis.from_url(app.config["REDIS_URL"]))
    worker.set_state(WorkerStatus.BUSY)
    # redis-py holds this lock while it hands a connection back; a SIGTERM landing then runs the handler inside
    # it. Held here by another thread for 3 s: a handler that calls Redis waits for it (in the same thread, for ever).
    dispatcher_lock = worker.connection.connection_pool._event_dispatcher._lock
    held, release = threading.Event(), threading.Event()

    def hold():
        with dispatcher_lock:
            held.set()
            release.wait(3)

    holder = threading.Thread(target=hold, daemon=True)
    holder.start()
    held.wait(5)
    started = time.monotonic()
    try:
        worker.request_stop(signal.SIGTERM, None)
        took = time.monotonic() - started
    finally:
        release.set()
        holder.join(5)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.default_int_handler)
    assert worker._stop_requested
    assert took < 1, f"the stop request waited {took:.1f} s on redis-py's lock"
