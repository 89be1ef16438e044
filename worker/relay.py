"""Moves due outbox rows into RQ, and hands out again rows whose RQ job vanished.

Several relays may run (one per worker process): each row is claimed with a compare-and-set,
so a row is enqueued by one of them.
"""

import logging
import secrets
from datetime import timedelta

from flask import current_app
from rq import Queue
from rq.job import Job
from rq.serializers import JSONSerializer
from sqlalchemy import select, update

from portal.extensions import db
from portal.jobs import JOBS
from portal.models import OutboxRow, utcnow

log = logging.getLogger("worker.relay")
BATCH = 500
# Kept a day: enough to see what ran, small enough that Redis never fills with results.
RESULT_TTL = 24 * 3600


def rq_job_id(row_id, attempt):
    return f"outbox-{row_id}-{attempt}"


def relay_due(connection, now=None):
    """Enqueue due pending rows; returns how many this relay enqueued."""
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
        .values(status="enqueued", enqueued_at=now, rq_job_id=token)
    )
    db.session.commit()
    claimed = db.session.execute(
        select(OutboxRow.id, OutboxRow.job_name, OutboxRow.queue, OutboxRow.attempts)
        .where(OutboxRow.rq_job_id == token)
    ).all()
    try:
        _enqueue(connection, claimed)
    except Exception:
        # Redis is unreachable: give the rows back so the next round, or another relay, retries.
        db.session.execute(
            update(OutboxRow).where(OutboxRow.rq_job_id == token, OutboxRow.status == "enqueued")
            .values(status="pending", enqueued_at=None, rq_job_id=None)
        )
        db.session.commit()
        raise
    for row in claimed:
        db.session.execute(
            update(OutboxRow).where(OutboxRow.id == row.id, OutboxRow.rq_job_id == token)
            .values(rq_job_id=rq_job_id(row.id, row.attempts))
        )
    db.session.commit()
    return len(claimed)


def _enqueue(connection, rows):
    by_queue = {}
    for row in rows:
        spec = JOBS.get(row.job_name)
        timeout = spec.timeout if spec else 60
        data = Queue.prepare_data(
            "worker.outbox.run", args=(row.id,), job_id=rq_job_id(row.id, row.attempts),
            timeout=timeout, result_ttl=RESULT_TTL, failure_ttl=7 * RESULT_TTL,
        )
        by_queue.setdefault(row.queue, []).append(data)
    with connection.pipeline() as pipe:
        for queue_name, jobs in by_queue.items():
            Queue(queue_name, connection=connection, serializer=JSONSerializer).enqueue_many(jobs, pipeline=pipe)
        pipe.execute()


def requeue_lost(connection, now=None):
    """Hand out again rows whose job RQ no longer has, or whose worker died mid-run; returns how many."""
    now = now or utcnow()
    stale_before = now - current_app.config["OUTBOX_STALE_AFTER"]
    lost = 0
    enqueued = db.session.execute(
        select(OutboxRow.id, OutboxRow.rq_job_id)
        .where(OutboxRow.status == "enqueued", OutboxRow.enqueued_at < stale_before)
        .limit(BATCH)
    ).all()
    for row in enqueued:
        if row.rq_job_id and Job.exists(row.rq_job_id, connection=connection):
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


def _back_to_pending(row_id, from_status):
    # not_before stays as it was: the row was due then and is due now.
    return db.session.execute(
        update(OutboxRow).where(OutboxRow.id == row_id, OutboxRow.status == from_status)
        .values(status="pending", enqueued_at=None)
    ).rowcount
