"""Benchmark: the worker rendering and sending case e-mails to a loopback SMTP sink, beside RQ's forking Worker.

Every phase runs in this one run, on the same database, Redis and SMTP sink (aiosmtpd's Sink in its own
process), with real `case.notify` outbox rows (a case, its event, the customer; rendered in both formats,
sent, filed in the inbox, the row committed `done` with its Message-ID):
  1. ours: `python -m worker --burst` (SimpleWorker in the app context, OUTBOX_BATCH_SIZE rows per RQ job);
  2. ours with one row per RQ job (OUTBOX_BATCH_SIZE=1), to show what batching buys;
  3. baseline: RQ's default forking `Worker` running the same rows one per job (a fork, a fresh app
     context and a new SMTP connection per e-mail: what a plain RQ setup does);
  4. relay latency: a running `python -m worker`, rows scheduled at a steady pace; scheduled -> started;
  5. where the time goes: render, building the MIME message, SMTP (reused vs new connection, and the sink's
     own CPU per message, read from /proc: it shares the cores), outbox commits, RQ's own cost per job.
Throughput is read from the outbox rows' own timestamps (first start to last finish), so process start-up
is not counted for either side.

Sizes by environment (defaults are the issue's acceptance run):
  BENCH_WORKER_JOBS=10000     e-mails for phase 1
  BENCH_UNBATCHED_JOBS=1000   e-mails for phase 2
  BENCH_BASELINE_JOBS=300     e-mails for phase 3 (the forking worker is slow; its rate is what matters)
  BENCH_LATENCY_JOBS=600      rows for phase 4, scheduled at BENCH_LATENCY_RATE=20 per second (below capacity)
Quick run: BENCH_WORKER_JOBS=1000 BENCH_UNBATCHED_JOBS=200 BENCH_BASELINE_JOBS=200 BENCH_LATENCY_JOBS=100 \
  make bench BENCH_ARGS="-k worker"
"""

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from flask import render_template
from flask_babel import force_locale
from rq import Queue, SimpleWorker
from rq.serializers import JSONSerializer
from sqlalchemy import func, insert, select, update

from portal import mail
from portal.models import Case, CaseEvent, Customer, OutboxRow, utcnow
from worker import relay

PROJECT_ROOT = Path(__file__).resolve().parents[2]
WORKER_JOBS = int(os.environ.get("BENCH_WORKER_JOBS", "10000"))
UNBATCHED_JOBS = int(os.environ.get("BENCH_UNBATCHED_JOBS", "1000"))
BASELINE_JOBS = int(os.environ.get("BENCH_BASELINE_JOBS", "300"))
LATENCY_JOBS = int(os.environ.get("BENCH_LATENCY_JOBS", "600"))
LATENCY_RATE = int(os.environ.get("BENCH_LATENCY_RATE", "20"))
SAMPLE = 300

# RQ's default forking Worker, given the app context our jobs need, in the work horse (the forked child).
FORKING_WORKER = """
from rq import Queue, Worker
from rq.serializers import JSONSerializer
from portal import create_app
from portal.extensions import db
from worker import notifications, outbox, runtime  # noqa: F401  (imported once in the parent, as RQ advises)

app = create_app()


class AppWorker(Worker):
    def perform_job(self, *args, **kwargs):
        with app.app_context():
            db.engine.dispose(close=False)  # never share the parent's database connections after a fork
            try:
                return super().perform_job(*args, **kwargs)
            finally:
                db.session.remove()


connection = runtime.connect(app)
queues = [Queue(name, connection=connection, serializer=JSONSerializer) for name in runtime.QUEUE_NAMES]
AppWorker(queues, connection=connection, serializer=JSONSerializer).work(burst=True, logging_level="WARNING")
"""


@pytest.fixture
def smtp_sink():
    """aiosmtpd's Sink (accepts and discards) in its own process, so it takes no CPU from the worker's GIL.

    Yields its URL and its pid (to read its CPU time)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process = subprocess.Popen([sys.executable, "-m", "aiosmtpd", "-n", "-l", f"127.0.0.1:{port}",
                                "-c", "aiosmtpd.handlers.Sink"])
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            time.sleep(0.05)
    yield f"smtp://127.0.0.1:{port}", process.pid
    process.terminate()
    process.wait(10)


def _seed(db, count, prefix):
    """`count` customers, each with a resolved case and its status event, and the case.notify outbox rows."""
    now = utcnow()
    db.session.execute(insert(Customer), [
        {"email": f"{prefix}{n}@example.com", "name": f"Bench Customer{n}", "locale": "zh" if n % 5 == 0 else "en",
         "timezone": "UTC", "tier": "standard", "phone": "", "feedback_mail_opt_out": False, "created_at": now}
        for n in range(count)])
    customer_ids = db.session.scalars(select(Customer.id).where(Customer.email.like(f"{prefix}%"))
                                      .order_by(Customer.id)).all()
    db.session.execute(insert(Case), [
        {"reference": f"B{prefix[:3].upper()}{n:07d}"[:12], "kind": "return", "status": "resolved",
         "customer_id": customer_id, "urgency": "low", "resolution_type": "refund", "resolution_amount_cents": 2400,
         "created_at": now, "updated_at": now, "resolved_at": now, "triage_reasons": []}
        for n, customer_id in enumerate(customer_ids)])
    case_ids = db.session.scalars(select(Case.id).where(Case.customer_id.in_(customer_ids))).all()
    db.session.execute(insert(CaseEvent), [
        {"case_id": case_id, "actor_type": "staff", "field": "status", "old_value": "escalated",
         "new_value": "resolved", "reason": "", "created_at": now} for case_id in case_ids])
    events = db.session.execute(select(CaseEvent.id, CaseEvent.case_id).where(CaseEvent.case_id.in_(case_ids))).all()
    db.session.commit()
    _schedule(db, events, prefix)


def _schedule(db, events, prefix):
    now = utcnow()
    db.session.execute(insert(OutboxRow), [
        {"key": f"bench:{prefix}:{event.id}", "job_name": "case.notify", "args": [event.case_id, event.id],
         "queue": "default", "status": "pending", "attempts": 0, "not_before": now, "created_at": now,
         "result": "", "last_error": ""} for event in events])
    db.session.commit()


def _rate(db, prefix, expected, output=""):
    db.session.expire_all()
    done, started, finished = db.session.execute(
        select(func.count(), func.min(OutboxRow.started_at), func.max(OutboxRow.finished_at))
        .where(OutboxRow.key.like(f"bench:{prefix}:%"), OutboxRow.status == "done")).one()
    assert done == expected, f"{prefix}: {done} of {expected} done\n{output}"
    return done / max((finished - started).total_seconds(), 1e-6)


def _env(app, mail_url, **settings):
    env = dict(os.environ)
    env.update({
        "SECRET_KEY": app.config["SECRET_KEY"], "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "REDIS_URL": app.config["REDIS_URL"], "MAIL_URL": mail_url, "SEARCH_INDEX_DIR": app.config["SEARCH_INDEX_DIR"],
        "PUBLIC_BASE_URL": app.config["PUBLIC_BASE_URL"],
    })
    env.update({name: str(value) for name, value in settings.items()})
    return env


def _run_burst(app, db, redis, mail_url, prefix, count, batch_size, command):
    _seed(db, count, prefix)
    app.config["OUTBOX_BATCH_SIZE"] = batch_size
    relay.relay_all_due(redis)
    finished = subprocess.run(command, cwd=PROJECT_ROOT, env=_env(app, mail_url), timeout=3600,
                              capture_output=True, text=True)
    assert finished.returncode == 0, finished.stdout[-3000:] + finished.stderr[-3000:]
    return _rate(db, prefix, count, finished.stdout[-3000:] + finished.stderr[-3000:])


def _percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def _relay_latency(app, db, redis, mail_url):
    _seed(db, LATENCY_JOBS, "lat")
    db.session.execute(update(OutboxRow).where(OutboxRow.key.like("bench:lat:%"))
                       .values(status="held"))  # seeded now, released at a steady pace below
    db.session.commit()
    held = db.session.scalars(select(OutboxRow.id).where(OutboxRow.key.like("bench:lat:%"))
                              .order_by(OutboxRow.id)).all()
    worker = subprocess.Popen([sys.executable, "-m", "worker"], cwd=PROJECT_ROOT, env=_env(app, mail_url),
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        while not redis.keys("portal:worker:heartbeat:*"):
            time.sleep(0.1)
        step = max(1, LATENCY_RATE // 10)
        for start in range(0, len(held), step):
            now = utcnow()
            db.session.execute(update(OutboxRow).where(OutboxRow.id.in_(held[start:start + step]))
                               .values(status="pending", not_before=now, created_at=now))
            db.session.commit()
            time.sleep(0.1)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            db.session.expire_all()
            if db.session.scalar(select(func.count()).where(OutboxRow.key.like("bench:lat:%"),
                                                            OutboxRow.status != "done")) == 0:
                break
            time.sleep(0.2)
    finally:
        worker.terminate()
        worker.wait(30)
    rows = db.session.execute(select(OutboxRow.not_before, OutboxRow.started_at)
                              .where(OutboxRow.key.like("bench:lat:%"), OutboxRow.status == "done")).all()
    assert len(rows) == LATENCY_JOBS
    return [(started - due).total_seconds() for due, started in rows]


def _cpu_seconds(pid):
    """User + system CPU a process has used so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _where_time_goes(app, db, redis, mail_url, smtp_sink_pid):
    """Milliseconds per e-mail for each part of the work, measured alone on SAMPLE items."""
    _seed(db, SAMPLE, "prof")
    case = db.session.scalars(select(Case).join(Customer).where(Customer.email.like("prof%"))).first()
    parts = {}

    started = time.perf_counter()
    for _ in range(SAMPLE):
        with force_locale("en"):
            render_template("emails/case_update.txt", customer=case.customer, case=case, message="m", link="l",
                            subject="s")
            render_template("emails/case_update.html", customer=case.customer, case=case, message="m", link="l",
                            subject="s")
    parts["render text + HTML (compiled once, cached)"] = (time.perf_counter() - started) / SAMPLE

    def message():
        return mail.build_message("x@example.com", "subject", "text " * 200, "<p>html</p>" * 200)

    started = time.perf_counter()
    messages = [message() for _ in range(SAMPLE)]
    parts["build the MIME message"] = (time.perf_counter() - started) / SAMPLE

    sender = mail.SMTPSender(mail_url)
    sink_cpu = _cpu_seconds(smtp_sink_pid)
    started = time.perf_counter()
    for built in messages:
        sender.send(built)
    parts["SMTP send, connection reused"] = (time.perf_counter() - started) / SAMPLE
    parts["  of which the sink's own CPU"] = (_cpu_seconds(smtp_sink_pid) - sink_cpu) / SAMPLE
    sender.close()
    started = time.perf_counter()
    for built in messages[:SAMPLE // 3]:
        fresh = mail.SMTPSender(mail_url)
        fresh.send(built)
        fresh.close()
    parts["SMTP send, new connection each"] = (time.perf_counter() - started) / (SAMPLE // 3)

    ids = db.session.scalars(select(OutboxRow.id).where(OutboxRow.key.like("bench:prof:%"))).all()
    started = time.perf_counter()
    for row_id in ids:
        for status in ("running", "done"):
            db.session.execute(update(OutboxRow).where(OutboxRow.id == row_id).values(status=status))
            db.session.commit()
    parts["outbox claim + done commits"] = (time.perf_counter() - started) / len(ids)

    queue = Queue("bench", connection=redis, serializer=JSONSerializer)
    for _ in range(SAMPLE):
        queue.enqueue("os.getpid", result_ttl=60)
    started = time.perf_counter()
    SimpleWorker([queue], connection=redis, serializer=JSONSerializer).work(burst=True, logging_level="WARNING")
    parts["RQ's own cost per job (SimpleWorker, no-op job)"] = (time.perf_counter() - started) / SAMPLE
    return parts


def test_worker_throughput_beside_the_forking_worker_and_relay_latency(app, db, redis, smtp_sink):
    smtp_sink, smtp_sink_pid = smtp_sink
    ours = _run_burst(app, db, redis, smtp_sink, "ours", WORKER_JOBS, 20,
                      [sys.executable, "-m", "worker", "--burst"])
    unbatched = _run_burst(app, db, redis, smtp_sink, "single", UNBATCHED_JOBS, 1,
                           [sys.executable, "-m", "worker", "--burst"])
    forking = _run_burst(app, db, redis, smtp_sink, "fork", BASELINE_JOBS, 1,
                         [sys.executable, "-c", FORKING_WORKER])
    latencies = _relay_latency(app, db, redis, smtp_sink)
    parts = _where_time_goes(app, db, redis, smtp_sink, smtp_sink_pid)

    database = db.engine.dialect.name
    print(f"\nworker benchmark ({database}, loopback SMTP sink)")
    print(f"  ours, {WORKER_JOBS} e-mails, 20 per RQ job:       {ours:8.1f} e-mails/s")
    print(f"  ours, {UNBATCHED_JOBS} e-mails, 1 per RQ job:         {unbatched:8.1f} e-mails/s")
    print(f"  RQ forking Worker, {BASELINE_JOBS} e-mails, 1 per job: {forking:8.1f} e-mails/s")
    print(f"  ours / forking: {ours / forking:.1f}x   (target >= 3x; target >= 100 e-mails/s per process)")
    print(f"  relay latency scheduled -> started, {LATENCY_JOBS} rows at {LATENCY_RATE}/s: "
          f"p50 {_percentile(latencies, 0.5):.3f} s, p99 {_percentile(latencies, 0.99):.3f} s (target p99 <= 1.5 s)")
    print("  where the time goes, per e-mail:")
    print(f"    {'the whole of it, ours at 20 per RQ job':52s} {1000 / ours:7.2f} ms")
    for name, seconds in parts.items():
        print(f"    {name:52s} {seconds * 1000:7.2f} ms")
