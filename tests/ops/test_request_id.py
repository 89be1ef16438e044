"""One request id, from the web request's log line to the outbox row, the job's log line and the e-mail."""

import io
import json
import logging

from sqlalchemy import select

from portal import logs
from portal.models import Case, OutboxRow
from tests.complaints.test_complaint_form import VALID
from tests.orders.helpers import sign_in_as
from worker import runtime


def test_one_request_id_follows_a_complaint_into_its_outbox_rows_and_jobs(app, client, db, redis, customer, lead,
                                                                         mail_sink, caplog):
    caplog.set_level(logging.INFO)
    sign_in_as(client, customer)

    response = client.post("/complaints/new", data=VALID, headers={"X-Request-ID": "lb-7f3a9c21e5"})
    runtime.run(app, burst=True)

    assert response.headers["X-Request-ID"] == "lb-7f3a9c21e5"
    [web_line] = [r for r in caplog.records if r.name == "portal.request" and r.path == "/complaints/new"]
    assert (web_line.request_id, web_line.status) == ("lb-7f3a9c21e5", 303)
    case = db.session.scalar(select(Case))
    rows = db.session.scalars(select(OutboxRow).where(OutboxRow.args[0].as_integer() == case.id)).all()
    assert {row.job_name for row in rows} >= {"case.escalated"}
    assert {row.request_id for row in rows} == {"lb-7f3a9c21e5"}
    job_lines = [r for r in caplog.records if r.name == "worker.jobs" and getattr(r, "job", "") == "case.escalated"]
    assert [(r.request_id, r.outcome) for r in job_lines] == [("lb-7f3a9c21e5", "done")]
    escalation = next(row for row in rows if row.job_name == "case.escalated")
    # The SMTP answer: the row keeps the Message-ID of the e-mail its job sent.
    assert escalation.result in {m["Message-ID"] for m in mail_sink.messages()}


def test_a_missing_or_hostile_request_id_is_replaced_by_our_own(client):
    for header in ("", "short", "x" * 65, "bad id with spaces", "<script>alert(1)</script>", "ok\r\nSet-Cookie: a"):
        response = client.get("/healthz", headers={"X-Request-ID": header} if header.isprintable() else {})

        assert len(response.headers["X-Request-ID"]) == 32 and response.headers["X-Request-ID"] != header


def test_each_request_gets_a_new_id(client):
    first = client.get("/healthz").headers["X-Request-ID"]
    second = client.get("/healthz").headers["X-Request-ID"]

    assert first != second


def _emit(log_format, **extra):
    stream = io.StringIO()
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    try:
        logs.configure(log_format, stream=stream)
        token = logs.current_request_id.set("req-1234abcd")
        logging.getLogger("portal.request").info("GET /help 200 3.0 ms", extra=extra)
        logs.current_request_id.reset(token)
    finally:
        root.handlers[:], root.level = saved[0], saved[1]
    return stream.getvalue()


def test_production_logs_one_json_object_per_line_with_the_request_id():
    line = _emit("json", status=200, route="/help")

    record = json.loads(line)
    assert line.count("\n") == 1
    assert (record["request_id"], record["status"], record["route"]) == ("req-1234abcd", 200, "/help")
    assert (record["level"], record["logger"], record["message"]) == ("INFO", "portal.request", "GET /help 200 3.0 ms")


def test_development_logs_plain_readable_lines():
    line = _emit("plain", status=200)

    assert "INFO portal.request [req-1234abcd] GET /help 200 3.0 ms" in line
    assert not line.startswith("{")


def test_make_run_is_plain_and_production_is_json(test_environ):
    from tests.conftest import make_app

    assert make_app(test_environ | {"PORTAL_ENV": "development"}).config["LOG_FORMAT"] == "plain"
    assert make_app(test_environ).config["LOG_FORMAT"] == "json"
    assert make_app(test_environ | {"LOG_FORMAT": "plain"}).config["LOG_FORMAT"] == "plain"
