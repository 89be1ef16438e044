"""The whole path, on real Redis and the real database: outbox row -> relay -> RQ -> job -> mail sink."""

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from redis import Redis
from rq.job import Job
from sqlalchemy import select

from portal.embedded_redis import EmbeddedRedis
from portal.jobs import schedule
from portal.models import Notification, OutboxRow
from worker import relay, runtime

pytestmark = pytest.mark.integration
PROJECT_ROOT = Path(__file__).resolve().parents[2]


def _outbox(db, key):
    db.session.expire_all()
    return db.session.scalar(select(OutboxRow).where(OutboxRow.key == key))


def test_a_welcome_mail_travels_from_outbox_to_the_mail_sink(app, db, redis, customer, mail_sink):
    schedule("mail.welcome", customer.id, key=f"welcome:{customer.id}")
    db.session.commit()

    runtime.run(app, burst=True)

    [message] = mail_sink.to("alice@example.com")
    assert message["Subject"] == "Welcome to our help center"
    assert "http://portal.test/" in message.get_body(("plain",)).get_content()
    row = _outbox(db, f"welcome:{customer.id}")
    assert row.status == "done"
    assert row.result == message["Message-ID"]
    inbox = db.session.scalars(select(Notification).where(Notification.customer_id == customer.id)).all()
    assert [n.kind for n in inbox] == ["welcome"]


def test_the_welcome_mail_speaks_the_customers_language(app, db, redis, make_customer, mail_sink):
    chinese = make_customer(email="wei@example.com", name="陈伟", locale="zh")
    schedule("mail.welcome", chinese.id, key="welcome:zh")
    db.session.commit()

    runtime.run(app, burst=True)

    [message] = mail_sink.to("wei@example.com")
    assert message["Subject"] != "Welcome to our help center"
    assert "陈伟" in message.get_body(("plain",)).get_content()


def test_a_job_delivered_twice_by_rq_sends_once(app, db, redis, customer, mail_sink):
    schedule("mail.welcome", customer.id, key="welcome:twice")
    db.session.commit()
    with app.app_context():
        relay.relay_due(redis)
    row = _outbox(db, "welcome:twice")
    # The same row enqueued a second time, as after a relay that thought the first job lost.
    relay._enqueue(redis, [type("Row", (), {"id": row.id, "job_name": row.job_name, "queue": "default",
                                            "attempts": 7})()])

    runtime.make_worker(app, redis).work(burst=True)

    assert len(mail_sink.to("alice@example.com")) == 1
    assert _outbox(db, "welcome:twice").status == "done"


def test_a_job_whose_rq_entry_vanished_is_handed_out_again(app, db, redis, customer, mail_sink):
    schedule("mail.welcome", customer.id, key="welcome:lost")
    db.session.commit()
    relay.relay_due(redis)
    redis.flushdb()  # Redis lost everything, as after a restart without persistence
    row = _outbox(db, "welcome:lost")
    assert row.status == "enqueued"
    assert not Job.exists(row.rq_job_id, connection=redis)

    later = row.enqueued_at + app.config["OUTBOX_STALE_AFTER"] * 2
    assert relay.requeue_lost(redis, now=later) == 1
    runtime.run(app, burst=True)

    assert len(mail_sink.to("alice@example.com")) == 1


def test_a_failing_job_backs_off_then_is_marked_failed(app, db, redis, customer, mail_sink):
    app.config["MAIL_URL"] = "smtp://127.0.0.1:9"  # nothing listens on the discard port
    app.extensions.pop("portal_mail", None)
    schedule("mail.welcome", customer.id, key="welcome:fails")
    db.session.commit()

    delays = app.config["OUTBOX_RETRY_DELAYS"]
    for attempt in range(len(delays) + 1):
        row = _outbox(db, "welcome:fails")
        row.not_before = row.not_before - delays[-1]  # move the clock past the back-off
        db.session.commit()
        runtime.run(app, burst=True)
        row = _outbox(db, "welcome:fails")
        assert row.attempts == attempt + 1
        assert "SMTP 127.0.0.1:9" in row.last_error

    assert row.status == "failed"
    assert mail_sink.messages() == []


def _worker_env(app, redis_url):
    env = dict(os.environ)
    env.update({
        "SECRET_KEY": app.config["SECRET_KEY"], "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "REDIS_URL": redis_url, "MAIL_URL": app.config["MAIL_URL"],
        "SEARCH_INDEX_DIR": app.config["SEARCH_INDEX_DIR"], "PUBLIC_BASE_URL": app.config["PUBLIC_BASE_URL"],
        "OUTBOX_RELAY_INTERVAL_SECONDS": "0.2",
    })
    return env


def _wait_for(predicate, timeout=20):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return False


def test_work_written_while_redis_is_down_is_delivered_when_it_is_back(app, db, customer, mail_sink, tmp_path):
    """Redis stops under a running portal: pages render, /healthz names redis, and nothing is lost."""
    server = EmbeddedRedis(tmp_path / "r.sock").start()
    app.config["REDIS_URL"] = server.url
    app.extensions.pop("portal_redis", None)
    client = app.test_client()
    worker = subprocess.Popen([sys.executable, "-m", "worker"], cwd=PROJECT_ROOT,
                              env=_worker_env(app, server.url),
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        assert _wait_for(lambda: Redis.from_url(server.url).keys("portal:worker:heartbeat:*")), "worker not up"
        server.stop()

        assert client.get("/").status_code == 200
        health = client.get("/healthz")
        assert health.status_code == 503
        assert health.get_json()["checks"]["redis"]["status"] == "down"

        schedule("mail.welcome", customer.id, key="welcome:outage")
        db.session.commit()
        time.sleep(1)
        assert mail_sink.to("alice@example.com") == []

        server.start()
        delivered = _wait_for(lambda: len(mail_sink.to("alice@example.com")) == 1)
        done = _wait_for(lambda: _outbox(db, "welcome:outage").status == "done")
        beating = _wait_for(lambda: Redis.from_url(server.url).keys("portal:worker:heartbeat:*"))
    finally:
        worker.terminate()
        output = worker.communicate(timeout=30)[0].decode()
        server.stop()
    assert delivered and done and beating, output
    assert worker.returncode == 0, output
    assert "mail.welcome key=welcome:outage" in output
