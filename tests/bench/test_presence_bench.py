"""Benchmark: the agent queue and a case page with presence off, on with htmx polling, and on with server-sent
events, in one run; each figure beside the presence-off baseline measured in the same run.

The portal is served over HTTP on a loopback port (werkzeug, a thread per connection) while AGENTS background
agents keep a case page open: with polling each POSTs its presence report every INTERVAL seconds; with SSE each
holds one stream on which the server does the same reads (presence and new messages) every INTERVAL seconds.
The timed requests are a further agent's queue and case pages.

Sizes by environment: BENCH_QUEUE_CASES=3000 escalated cases, BENCH_AGENTS=20 agents with a case open,
BENCH_INTERVAL=1 second between updates (5 s in production: 1 s makes the load five times heavier),
BENCH_RUNS=45 timed requests per page (in 3 rounds). DATABASE_URL and REDIS_URL as for the tests.
"""

import http.client
import os
import statistics
import threading
import time
from datetime import timedelta

import pytest
from flask import Response, stream_with_context
from sqlalchemy import insert

from portal.agent import presence
from portal.embedded_redis import EmbeddedRedis
from portal.extensions import db
from portal.models import Case, CaseMessage, Customer, Staff, StaffSession, utcnow
from tests.conftest import make_app

CASES = int(os.environ.get("BENCH_QUEUE_CASES", "3000"))
AGENTS = int(os.environ.get("BENCH_AGENTS", "20"))
INTERVAL = float(os.environ.get("BENCH_INTERVAL", "1"))
RUNS = int(os.environ.get("BENCH_RUNS", "45"))
ROUNDS = 3


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    from flask_migrate import upgrade
    from werkzeug.serving import make_server

    tmp = tmp_path_factory.mktemp("presence-bench")
    redis_server = None
    redis_url = os.environ.get("REDIS_URL")
    if not redis_url:
        redis_server = EmbeddedRedis(tmp / "redis.sock").start()
        redis_url = redis_server.url
    environ = {"SECRET_KEY": "bench-secret", "REDIS_URL": redis_url, "MAIL_URL": f"file://{tmp / 'mail'}",
               "DATABASE_URL": os.environ.get("DATABASE_URL") or f"sqlite:///{tmp / 'bench.db'}",
               "SEARCH_INDEX_DIR": str(tmp / "search"), "UPLOAD_DIR": str(tmp / "uploads"),
               "PRESENCE_POLL_SECONDS": str(max(1, int(INTERVAL)))}
    app = make_app(environ)
    app.add_url_rule("/bench/cases/<int:case_id>/events", "bench_events", _sse_prototype(app))
    with app.app_context():
        upgrade()
        cookies, case_ids = _generate(app)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield app, server.server_port, cookies, case_ids
    server.shutdown()
    if redis_server is not None:
        redis_server.stop()


def _generate(app):
    now = utcnow()
    staff = [Staff(email=f"presence-bench{n}@example.com", name=f"Agent {n:02d}", role="agent")
             for n in range(AGENTS + 1)]
    for person in staff:
        person.password_hash = "not-a-real-hash"
    customer = Customer(email="presence-bench@example.com", name="Bench Customer", locale="en", timezone="UTC")
    db.session.add_all([*staff, customer])
    db.session.commit()
    db.session.execute(insert(Case), [{
        "reference": f"P-{n:08d}", "kind": "complaint", "status": "escalated", "customer_id": customer.id,
        "category": "damaged", "description": "Synthetic case.", "urgency": ("high", "medium", "low")[n % 3],
        "escalated": True, "escalated_at": now - timedelta(minutes=n), "created_at": now - timedelta(minutes=n),
        "updated_at": now, "priority": 100 + n % 300, "first_response_due": now + timedelta(minutes=10),
        "resolution_due": now + timedelta(hours=24), "triage_reasons": [],
    } for n in range(CASES)])
    db.session.commit()
    case_ids = [row[0] for row in db.session.execute(Case.__table__.select().with_only_columns(Case.id)
                                                     .order_by(Case.id).limit(AGENTS + 1))]
    db.session.execute(insert(CaseMessage), [{"case_id": case_ids[0], "author_type": ("customer", "agent")[n % 2],
                                              "staff_id": staff[0].id if n % 2 else None,
                                              "body": f"Message {n}", "internal": False, "created_at": now}
                                             for n in range(20)])
    db.session.commit()
    records = [StaffSession(staff_id=s.id, end_reason="") for s in staff]
    db.session.add_all(records)
    db.session.commit()
    serializer = app.session_interface.get_signing_serializer(app)
    sessions = [{"staff_id": s.id, "staff_sv": s.session_version or 0, "staff_at": time.time(),
                 "staff_session": record.id} for s, record in zip(staff, records, strict=True)]
    cookies = [f"session={serializer.dumps(values)}" for values in sessions]
    return cookies, case_ids


def _sse_prototype(app):
    """What server-sent events would run: per open page, one stream doing the polling route's reads."""

    def events(case_id):
        from flask import session

        staff_id = session.get("staff_id")

        def stream():
            after = 0
            while True:
                present = presence.report(case_id, staff_id)
                case = db.session.get(Case, case_id)
                new = presence.messages_after(case, after)
                after = new[-1].id if new else after
                db.session.rollback()
                yield f"data: {len(present.viewers)} {len(new)}\n\n"
                time.sleep(INTERVAL)

        return Response(stream_with_context(stream()), mimetype="text/event-stream")

    return events


def _load(port, cookies, case_ids, mode, stop):
    """Background agents with a case page open, until `stop` is set."""

    def poller(cookie, case_id):
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        reference = f"P-{case_id - case_ids[0]:08d}"
        while not stop.is_set():
            connection.request("POST", f"/agent/cases/{reference}/presence", body="after=0&seen=0",
                               headers={"Cookie": cookie, "HX-Request": "true",
                                        "Content-Type": "application/x-www-form-urlencoded"})
            connection.getresponse().read()
            stop.wait(INTERVAL)
        connection.close()

    def listener(cookie, case_id):
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        connection.request("GET", f"/bench/cases/{case_id}/events", headers={"Cookie": cookie})
        response = connection.getresponse()
        while not stop.is_set():
            response.fp.readline()
        connection.close()

    target = poller if mode == "polling" else listener
    threads = [threading.Thread(target=target, args=(cookie, case_id), daemon=True)
               for cookie, case_id in zip(cookies[1:], case_ids[1:], strict=True)]
    for thread in threads:
        thread.start()
    return threads


def _time(port, cookie, path):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    timings = []
    for _ in range(RUNS // ROUNDS + 1):
        started = time.perf_counter()
        connection.request("GET", path, headers={"Cookie": cookie})
        response = connection.getresponse()
        response.read()
        assert response.status == 200, path
        timings.append((time.perf_counter() - started) * 1000)
    connection.close()
    return timings[1:]  # the first request warms the connection


def test_queue_and_case_page_with_presence_off_polling_and_sse(served):
    app, port, cookies, case_ids = served
    pages = {"agent queue": "/agent", "case page": f"/agent/cases/P-{0:08d}"}
    timings = {}
    # The modes take turns, so a neighbour's load on this shared machine falls on each of them alike.
    for _round in range(ROUNDS):
        for mode in ("off", "polling", "sse"):
            app.config["PRESENCE_ENABLED"] = mode != "off"
            stop = threading.Event()
            threads = _load(port, cookies, case_ids, mode, stop) if mode != "off" else []
            time.sleep(INTERVAL * 2)  # every background page has reported at least once
            for name, path in pages.items():
                timings.setdefault((mode, name), []).extend(_time(port, cookies[0], path))
            stop.set()
            for thread in threads:
                thread.join(timeout=INTERVAL + 5)
    results = {key: (statistics.median(values), sorted(values)[int(len(values) * 0.95) - 1])
               for key, values in timings.items()}

    print(f"\npresence: {CASES} cases, {AGENTS} other agents with a case open, an update every {INTERVAL:g} s, "
          f"{RUNS} timed requests per page")
    print(f"{'page':<12} {'presence':<9} {'median ms':>10} {'p95 ms':>8} {'median vs off':>14}")
    for name in pages:
        baseline = results[("off", name)][0]
        for mode in ("off", "polling", "sse"):
            median, p95 = results[(mode, name)]
            print(f"{name:<12} {mode:<9} {median:>10.1f} {p95:>8.1f} {median / baseline:>13.2f}x")
