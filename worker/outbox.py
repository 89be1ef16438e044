"""Runs outbox rows' jobs, exactly once per key as far as the database can tell.

RQ carries only row ids: one (`run`) or a batch of due rows of one queue (`run_many`). Each row is
claimed with a compare-and-set on its status, so two workers, or a job RQ delivers twice, run the effect
once. The job's own database writes commit together with the row's `done`; a kill between an external
effect (an SMTP server accepting a message) and that commit is the one window where the effect can
repeat, when the relay hands the row out again.
"""

import importlib
import logging
import threading
import time
from contextvars import ContextVar

from flask import current_app
from sqlalchemy import update

from portal import metrics
from portal.extensions import db
from portal.jobs import JOBS
from portal.logs import current_request_id
from portal.models import OutboxRow, utcnow

log = logging.getLogger("worker.jobs")
# The key of the row being run, for effects that record it (a notification keeps its outbox key).
current_key = ContextVar("current_outbox_key", default=None)
# Set by the worker on SIGTERM; a batch then stops between rows.
stopping = threading.Event()


class BatchFailed(Exception):
    """Some rows of a batch failed; each was backed off on its own, the others are done."""


def resolve(dotted_path):
    module_name, _, function_name = dotted_path.rpartition(".")
    return getattr(importlib.import_module(module_name), function_name)


class Lease:
    """Holds the job's rows while it runs: a thread renews their lease every third of OUTBOX_LEASE.

    A worker killed with -9 stops renewing, and the relay hands its rows out again once the lease lapses
    (within a minute) instead of after RQ's job timeout. The renewal has its own connection, so it never
    joins the transaction of the row being run.
    """

    def __init__(self, outbox_ids):
        self.outbox_ids = list(outbox_ids)
        self.done = threading.Event()
        self.thread = None

    def __enter__(self):
        self.engine = db.engine
        self.lease = current_app.config["OUTBOX_LEASE"]
        self.renew()
        self.thread = threading.Thread(target=self._keep_renewing, name="outbox-lease", daemon=True)
        self.thread.start()
        return self

    def renew(self):
        with self.engine.begin() as connection:
            connection.execute(
                update(OutboxRow)
                .where(OutboxRow.id.in_(self.outbox_ids), OutboxRow.status.in_(("enqueued", "running")))
                .values(lease_until=utcnow() + self.lease))

    def _keep_renewing(self):
        while not self.done.wait(self.lease.total_seconds() / 3):
            try:
                self.renew()
            except Exception as error:  # noqa: BLE001 - a busy database: the next renewal, a third later, retries
                log.warning("could not renew the lease of %d outbox rows: %s", len(self.outbox_ids), error)

    def __exit__(self, *exc):
        self.done.set()
        self.thread.join()


def run(outbox_id):
    """The RQ entry point for one row: lease it while it runs (see Lease), then run it as `run_row` does."""
    with Lease([outbox_id]):
        return run_row(outbox_id)


def run_row(outbox_id):
    """Claim one row, run its function, record the outcome."""
    started = time.perf_counter()
    # The claim returns what the job needs, and `done` is a plain UPDATE: no ORM row object, so no
    # re-read of the row after either commit (each one expired it: two extra queries per e-mail).
    claimed = db.session.execute(
        update(OutboxRow)
        .where(OutboxRow.id == outbox_id, OutboxRow.status.in_(("pending", "enqueued")))
        .values(status="running", started_at=utcnow(), attempts=OutboxRow.attempts + 1)
        .returning(OutboxRow.job_name, OutboxRow.key, OutboxRow.args, OutboxRow.request_id),
        execution_options={"synchronize_session": False},
    ).one_or_none()
    db.session.commit()
    if claimed is None:
        log.info("outbox=%s skipped: already taken or finished", outbox_id)
        return "skipped"

    job_name, key, args, request_id = claimed
    function = resolve(JOBS[job_name].function)
    token = current_key.set(key)
    # The job logs, and schedules its own work, under the id of the request that caused it.
    request_id = request_id or f"job-{outbox_id}"
    request_token = current_request_id.set(request_id)
    try:
        result = function(*args)
    except Exception as error:
        db.session.rollback()
        _record_failure(outbox_id, error)
        _finished(job_name, key, outbox_id, request_id, started, "failed", error=f"{type(error).__name__}: {error}")
        raise
    finally:
        current_key.reset(token)
        current_request_id.reset(request_token)
    result = str(result or "")[:300]
    # In the job's transaction: its own writes (the inbox copy) commit together with `done`.
    db.session.execute(
        update(OutboxRow).where(OutboxRow.id == outbox_id)
        .values(status="done", finished_at=utcnow(), result=result),
        execution_options={"synchronize_session": False},
    )
    db.session.commit()
    _finished(job_name, key, outbox_id, request_id, started, "done", result=result)
    return result


def _finished(job_name, key, outbox_id, request_id, started, outcome, **details):
    """The job's one log line and its metrics."""
    seconds = time.perf_counter() - started
    metrics.jobs_total.labels(job_name, outcome).inc()
    metrics.job_seconds.labels(job_name).observe(seconds)
    extra = {"job": job_name, "key": key, "outbox_id": outbox_id, "outcome": outcome, "request_id": request_id,
             "duration_ms": round(seconds * 1000, 1), **details}
    level = logging.INFO if outcome == "done" else logging.WARNING
    log.log(level, "%s key=%s outbox=%s %s in %.0f ms%s", job_name, key, outbox_id, outcome, seconds * 1000,
            f": {details['error']}" if "error" in details else "", extra=extra)


def run_many(outbox_ids):
    """The RQ entry point for a batch: each row runs as `run` would, one failure does not stop the rest."""
    with Lease(outbox_ids):
        return _run_batch(outbox_ids)


def _run_batch(outbox_ids):
    results, failures = [], []
    for position, outbox_id in enumerate(outbox_ids):
        if stopping.is_set():
            # A shutdown was asked for: finish the row at hand only, and give the rest back at once.
            _give_back(outbox_ids[position:])
            log.info("shutting down: gave back %d outbox rows", len(outbox_ids) - position)
            break
        try:
            results.append(run_row(outbox_id))
        except Exception as error:  # noqa: BLE001 - recorded on the row by run(); raised below for RQ
            failures.append(f"outbox={outbox_id}: {type(error).__name__}: {error}")
        finally:
            # A fresh session per row: nothing one job loaded leaks into the next one's transaction.
            db.session.remove()
    if failures:
        raise BatchFailed(f"{len(failures)} of {len(outbox_ids)} failed; " + "; ".join(failures)[:2000])
    return f"{len(results)} done"


def _give_back(outbox_ids):
    db.session.execute(
        update(OutboxRow).where(OutboxRow.id.in_(outbox_ids), OutboxRow.status == "enqueued")
        .values(status="pending", enqueued_at=None, lease_until=None)
    )
    db.session.commit()


def _record_failure(outbox_id, error):
    """Back off and let the relay hand the row out again, or give up after the last delay."""
    row = db.session.get(OutboxRow, outbox_id)
    spec = JOBS.get(row.job_name)
    delays = current_app.config[spec.retry_delays if spec else "OUTBOX_RETRY_DELAYS"]
    row.last_error = f"{type(error).__name__}: {error}"[:2000]
    if row.attempts <= len(delays):
        row.status = "pending"
        row.not_before = utcnow() + delays[row.attempts - 1]
    else:
        row.status = "failed"
        row.finished_at = utcnow()
    db.session.commit()
