"""Moves due outbox rows into RQ, and hands out again rows whose RQ job vanished.

Several relays may run (one per worker process): each row is claimed with a compare-and-set,
so a row is enqueued by one of them. Due rows of one queue travel in RQ jobs of up to
OUTBOX_BATCH_SIZE rows: RQ's own cost per job (several Redis round trips) is then paid once per
batch, while each row is still claimed, run and committed on its own (worker/outbox.py).
"""

import logging
import secrets
from datetime import timedelta

from flask import current_app
from rq import Queue
from rq.job import Job, JobStatus
from rq.serializers import JSONSerializer
from sqlalchemy import select, update

from portal.extensions import db
from portal.jobs import JOBS
from portal.models import OutboxRow, utcnow

log = logging.getLogger("worker.relay")
BATCH = 500
# Kept a day: enough to see what ran, small enough that Redis never fills with results.
RESULT_TTL = 24 * 3600
# An RQ job in one of these states may still run its rows.
WAITING = {JobStatus.QUEUED, JobStatus.DEFERRED, JobStatus.SCHEDULED}


def rq_job_id(row_id, attempt, size=1):
    return f"outbox-{row_id}-{attempt}" if size == 1 else f"outbox-{row_id}-{attempt}-x{size}"


def relay_due(connection, now=None):
    """Enqueue due pending rows (at most BATCH); returns how many this relay enqueued."""
    now = now or utcnow()
    due_ids = db.session.scalars(
        select(OutboxRow.id)
        .where(OutboxRow.status == "pending", OutboxRow.not_before <= now)
        .order_by(OutboxRow.not_before, OutboxRow.id)
        .limit(BATCH)
    ).all()
    if not due_ids:
        db.session.rollback()
        return 0
    token = secrets.token_hex(8)
    db.session.execute(
        update(OutboxRow)
        .where(OutboxRow.id.in_(due_ids), OutboxRow.status == "pending")
        .values(status="enqueued", enqueued_at=now, rq_job_id=token, lease_until=None)
    )
    db.session.commit()
    claimed = db.session.execute(
        select(OutboxRow.id, OutboxRow.job_name, OutboxRow.queue, OutboxRow.attempts)
        .where(OutboxRow.rq_job_id == token)
        .order_by(OutboxRow.not_before, OutboxRow.id)
    ).all()
    try:
        job_ids = _enqueue(connection, claimed, current_app.config["OUTBOX_BATCH_SIZE"])
    except Exception:
        # Redis is unreachable: give the rows back so the next round, or another relay, retries.
        db.session.execute(
            update(OutboxRow).where(OutboxRow.rq_job_id == token, OutboxRow.status == "enqueued")
            .values(status="pending", enqueued_at=None, rq_job_id=None)
        )
        db.session.commit()
        raise
    for job_id, row_ids in job_ids.items():
        db.session.execute(
            update(OutboxRow).where(OutboxRow.id.in_(row_ids), OutboxRow.rq_job_id == token)
            .values(rq_job_id=job_id)
        )
    db.session.commit()
    return len(claimed)


def relay_all_due(connection, now=None, rounds=50):
    """Relay until no due row is left (or `rounds` full batches went out); returns how many."""
    total = 0
    for _ in range(rounds):
        moved = relay_due(connection, now)
        total += moved
        if moved < BATCH:
            break
    return total


def _enqueue(connection, rows, batch_size=1):
    """Enqueue `rows` in RQ jobs of up to `batch_size` rows of one queue; returns {job id: [row ids]}."""
    by_queue = {}
    for row in rows:
        by_queue.setdefault(row.queue, []).append(row)
    job_ids = {}
    with connection.pipeline() as pipe:
        for queue_name, queue_rows in by_queue.items():
            jobs = []
            for start in range(0, len(queue_rows), max(batch_size, 1)):
                chunk = queue_rows[start:start + max(batch_size, 1)]
                job_id = rq_job_id(chunk[0].id, chunk[0].attempts, len(chunk))
                ids = [row.id for row in chunk]
                # A batch may take as long as all its rows together.
                timeout = sum(JOBS[row.job_name].timeout if row.job_name in JOBS else 60 for row in chunk)
                function, args = ("worker.outbox.run", (ids[0],)) if len(ids) == 1 else \
                    ("worker.outbox.run_many", (ids,))
                jobs.append(Queue.prepare_data(function, args=args, job_id=job_id, timeout=timeout,
                                               result_ttl=RESULT_TTL, failure_ttl=7 * RESULT_TTL))
                job_ids[job_id] = ids
            Queue(queue_name, connection=connection, serializer=JSONSerializer).enqueue_many(jobs, pipeline=pipe)
        pipe.execute()
    return job_ids


def requeue_lost(connection, now=None):
    """Hand out again rows whose job RQ no longer has, or whose worker died mid-run; returns how many."""
    now = now or utcnow()
    stale_before = now - current_app.config["OUTBOX_STALE_AFTER"]
    # A lapsed lease: the worker whose batch held these rows stopped renewing it, so it is dead.
    lost = db.session.execute(
        update(OutboxRow).where(OutboxRow.status.in_(("enqueued", "running")), OutboxRow.lease_until < now)
        .values(status="pending", enqueued_at=None, lease_until=None)
    ).rowcount
    enqueued = db.session.execute(
        select(OutboxRow.id, OutboxRow.rq_job_id, OutboxRow.enqueued_at)
        .where(OutboxRow.status == "enqueued", OutboxRow.enqueued_at < stale_before)
        .limit(BATCH)
    ).all()
    statuses = _job_statuses(connection, {row.rq_job_id for row in enqueued if row.rq_job_id})
    for row in enqueued:
        if not _job_lost(statuses.get(row.rq_job_id), row.enqueued_at, stale_before):
            continue
        lost += _back_to_pending(row.id, "enqueued")

    running = db.session.execute(
        select(OutboxRow.id, OutboxRow.job_name, OutboxRow.started_at)
        .where(OutboxRow.status == "running", OutboxRow.started_at < stale_before)
        .limit(BATCH)
    ).all()
    for row in running:
        spec = JOBS.get(row.job_name)
        # RQ stops a job at its timeout, so a row running past it belongs to a worker that died.
        if row.started_at + timedelta(seconds=spec.timeout if spec else 60) < stale_before:
            lost += _back_to_pending(row.id, "running")
    db.session.commit()
    if lost:
        log.warning("handed out again %d outbox rows whose job was lost", lost)
    return lost


def _job_statuses(connection, job_ids):
    """{job id: (status, timeout)} for the jobs RQ still has."""
    job_ids = sorted(job_ids)
    jobs = Job.fetch_many(job_ids, connection=connection, serializer=JSONSerializer) if job_ids else []
    return {job.id: (job.get_status(refresh=False), job.timeout or 60) for job in jobs if job is not None}


def _job_lost(state, enqueued_at, stale_before):
    """Whether a row still `enqueued` will never be run by the RQ job it was handed to."""
    if state is None:
        return True  # Redis lost the job (restart, flush)
    status, timeout = state
    if status in WAITING:
        return False
    if status == JobStatus.STARTED:
        # A batch still running its earlier rows, unless it has outlived its own timeout (its worker died).
        return enqueued_at + timedelta(seconds=timeout) < stale_before
    # Finished, failed, stopped or cancelled without having claimed this row: its worker died mid-batch.
    return True


def _back_to_pending(row_id, from_status):
    # not_before stays as it was: the row was due then and is due now.
    return db.session.execute(
        update(OutboxRow).where(OutboxRow.id == row_id, OutboxRow.status == from_status)
        .values(status="pending", enqueued_at=None, lease_until=None)
    ).rowcount
