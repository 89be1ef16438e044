"""/metrics: counters moved by real requests and jobs, gauges read from the stores, and who may read it."""

import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import update

from portal.jobs import schedule
from portal.models import OutboxRow, utcnow
from tests.agent.helpers import make_case
from tests.complaints.test_complaint_form import VALID
from tests.ops.helpers import scrape, value
from tests.orders.helpers import order_created, post_event, sign_in_as
from worker import runtime

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def test_requests_complaints_webhooks_and_jobs_move_their_counters(app, client, db, redis, customer, lead,
                                                                    mail_sink):
    before = scrape(client)
    sign_in_as(client, customer)

    client.get("/help/search?q=xqzvw+nothing+matches")
    client.post("/complaints/new", data=VALID)
    post_event(client, order_created())
    post_event(client, order_created(), **{"X-Signature": "sha256=forged"})
    runtime.run(app, burst=True)
    after = scrape(client)

    def moved(name, **labels):
        return value(after, name, **labels) - value(before, name, **labels)

    assert moved("portal_http_requests_total", method="POST", route="/complaints/new", status="303") == 1
    assert moved("portal_http_request_duration_seconds_count", method="GET", route="/help/search") == 1
    assert moved("portal_searches_without_result_total", locale="en") == 1
    assert moved("portal_triage_decisions_total", urgency="high", escalated="yes") == 1
    assert moved("portal_webhook_events_total", outcome="applied") == 1
    assert moved("portal_webhook_events_total", outcome="refused") == 1
    assert moved("portal_jobs_total", job="case.escalated", outcome="done") == 1
    assert moved("portal_job_duration_seconds_count", job="case.escalated") == 1
    assert moved("portal_emails_total", outcome="sent") == len(mail_sink.messages()) > 0


def test_failed_mail_and_sla_breaches_are_counted(app, client, db, redis, customer, lead, smtp_server):
    before = scrape(client)
    make_case(customer, created_at=utcnow() - timedelta(minutes=30))  # a high case: 10 minutes to respond
    smtp_server.mode = "refuse"
    schedule("sla.sweep", key="sla.sweep:test")
    db.session.commit()

    runtime.run(app, burst=True)
    after = scrape(client)

    assert value(after, "portal_sla_events_total", target="first_response", kind="breach") - \
        value(before, "portal_sla_events_total", target="first_response", kind="breach") == 1
    assert value(after, "portal_emails_total", outcome="failed") > value(before, "portal_emails_total",
                                                                          outcome="failed")
    assert value(after, "portal_jobs_total", job="sla.warn_lead", outcome="failed") >= 1


def test_outbox_and_queue_gauges_read_the_stores(app, client, db, redis, customer):
    schedule("mail.welcome", customer.id, key="welcome:late", not_before=utcnow() - timedelta(minutes=7))
    schedule("mail.welcome", customer.id, key="welcome:later", not_before=utcnow() + timedelta(days=1))
    db.session.execute(update(OutboxRow).where(OutboxRow.key == "welcome:late")
                       .values(created_at=utcnow() - timedelta(minutes=7)))
    db.session.commit()

    text = scrape(client)

    assert value(text, "portal_outbox_due_rows") == 1
    assert 7 * 60 <= value(text, "portal_outbox_oldest_due_age_seconds") < 8 * 60
    assert value(text, "portal_queue_depth", queue="default") == 0
    assert value(text, "portal_store_readings_up") == 1


def test_the_endpoint_is_refused_without_its_token(app, client):
    app.config["METRICS_TOKEN"] = "scrape-token-123"

    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 401
    assert "portal_http_requests_total" in scrape(client, token="scrape-token-123")


@pytest.mark.parametrize("authorization", ["Bearer", "Basic c2NyYXBlOnRva2Vu", "Bearer " + "x" * 10_000,
                                           "Bearer scrape-token-123\x00", "bearer  scrape-token-1234"])
def test_hostile_authorization_headers_get_401_not_an_error(app, client, authorization):
    app.config["METRICS_TOKEN"] = "scrape-token-123"

    response = client.get("/metrics", headers={"Authorization": authorization})

    assert response.status_code == 401
    assert "portal_" not in response.text


def test_without_a_token_only_direct_internal_requests_are_answered(app, client):
    app.config["METRICS_TOKEN"] = ""

    assert client.get("/metrics").status_code == 200  # the test client speaks from 127.0.0.1
    assert client.get("/metrics", environ_base={"REMOTE_ADDR": "203.0.113.9"}).status_code == 403
    # A proxy on this host forwards outside visitors from 127.0.0.1: they are not internal.
    assert client.get("/metrics", headers={"X-Forwarded-For": "203.0.113.9"}).status_code == 403


def test_signed_in_staff_gain_nothing_on_metrics(app, client, lead):
    from tests.agent.helpers import sign_in_staff

    app.config["METRICS_TOKEN"] = "scrape-token-123"
    sign_in_staff(client, lead)

    assert client.get("/metrics").status_code == 401


def test_counters_of_every_process_add_up_in_multiprocess_mode(test_environ, tmp_path):
    """What gunicorn's processes do: each counts in its own files, one scrape reads them all."""
    directory = tmp_path / "metrics"
    directory.mkdir()
    environ = test_environ | {"PROMETHEUS_MULTIPROC_DIR": str(directory), "PATH": ""}
    count = "from portal import metrics; metrics.emails_total.labels('sent').inc(2)"
    for _ in range(2):
        subprocess.run([sys.executable, "-c", count], cwd=PROJECT_ROOT, env=environ, check=True, timeout=120)
    read = ("from portal import create_app; from portal.ops import gauges; "
            "app = create_app({'ENVIRON': __import__('os').environ}); "
            "print(gauges.exposition(app)[0].decode())")
    result = subprocess.run([sys.executable, "-c", read], cwd=PROJECT_ROOT, env=environ, check=True, timeout=120,
                            capture_output=True, text=True)

    assert value(result.stdout, "portal_emails_total", outcome="sent") == 4


def test_the_example_alert_rules_use_metrics_the_portal_exports(client):
    import re

    import yaml

    ops = PROJECT_ROOT / "portal" / "ops"
    config = yaml.safe_load((ops / "prometheus.yml").read_text())
    rules = yaml.safe_load((ops / "alerts.yml").read_text())
    exported = set(re.findall(r"^# TYPE (\w+) ", scrape(client), re.M))
    suffixes = ("_bucket", "_count", "_sum")

    assert config["rule_files"] == ["alerts.yml"]
    assert config["scrape_configs"][0]["metrics_path"] == "/metrics"
    for rule in rules["groups"][0]["rules"]:
        for name in re.findall(r"\bportal_\w+", rule["expr"]):
            base = next((name[: -len(s)] for s in suffixes if name.endswith(s)), name)
            assert base in exported or name in exported, (rule["alert"], name)
