"""A real worker process with its embedded SMTP server, killed while a reply is in its hands."""

import os
import signal
import smtplib
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from portal.extensions import db
from portal.models import Case
from tests.agent.helpers import make_case
from tests.inbound.helpers import compose, customer_messages, free_port, inbound_rows, reply_address, send_smtp
from tests.worker.test_faults import _wait_for

pytestmark = pytest.mark.integration
PROJECT_ROOT = Path(__file__).resolve().parents[2]


def _start_worker(app, port, *args):
    env = dict(os.environ)
    env.update({
        "SECRET_KEY": app.config["SECRET_KEY"], "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "REDIS_URL": app.config["REDIS_URL"], "MAIL_URL": app.config["MAIL_URL"],
        "SEARCH_INDEX_DIR": app.config["SEARCH_INDEX_DIR"], "UPLOAD_DIR": app.config["UPLOAD_DIR"],
        "PUBLIC_BASE_URL": app.config["PUBLIC_BASE_URL"], "OUTBOX_RELAY_INTERVAL_SECONDS": "0.1",
        "INBOUND_SMTP_PORT": str(port),
    })
    worker = subprocess.Popen([sys.executable, "-m", "worker", *args], cwd=PROJECT_ROOT, env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    assert _wait_for(lambda: _listening(port)), "the worker's SMTP server did not start"
    return worker


def _listening(port):
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
        return True
    except OSError:
        return False


def _stop(worker):
    if worker.poll() is None:
        worker.terminate()
    return worker.communicate(timeout=30)[0].decode()


def test_a_worker_killed_while_handling_a_reply_lands_it_exactly_once_after_restart(app, redis, customer):
    case = make_case(customer, status="answered")
    port = free_port()
    message = compose(customer.email, reply_address(case), "Please send the lid today.")
    # The first worker serves SMTP but not the queue that lands replies: it is killed holding the message.
    worker = _start_worker(app, port, "--queues", "default,low")
    try:
        send_smtp(f"127.0.0.1:{port}", message)
        assert [r.status for r in inbound_rows()] == ["received"]
        worker.send_signal(signal.SIGKILL)
        worker.wait(10)
        assert customer_messages(case) == []

        worker = _start_worker(app, port)
        # The customer's server, unsure whether the first try got through, sends the message again.
        send_smtp(f"127.0.0.1:{port}", message)
        assert _wait_for(lambda: [r.status for r in inbound_rows()] == ["landed"])
    finally:
        output = _stop(worker)

    assert [m.body for m in customer_messages(case)] == ["Please send the lid today."], output
    db.session.expire_all()
    assert db.session.get(Case, case.id).status == "escalated"


def test_the_worker_stops_its_smtp_server_on_sigterm(app, redis):
    port = free_port()
    worker = _start_worker(app, port)
    # Idle means waiting for a job: RQ's own signal handlers are in place by then (not yet at its birth).
    assert _wait_for(lambda: any(redis.hget(key, "state") == b"idle" for key in redis.smembers("rq:workers")))
    worker.send_signal(signal.SIGTERM)
    worker.wait(30)

    assert worker.returncode == 0
    with pytest.raises(OSError):
        smtplib.SMTP("127.0.0.1", port, timeout=2)
