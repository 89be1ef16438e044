"""Hourly clean-up: forget finished periodic runs, return wizards nobody came back to and old staff sessions.

Only periodic jobs' rows are pruned: their keys name a period that never comes again. Every other row's
key is what makes its effect happen once (`survey:case:123`), so those rows stay.
"""

from flask import current_app
from sqlalchemy import delete, or_, select

from portal.casework import photos
from portal.extensions import db
from portal.models import OutboxRow, ReturnDraft, StaffSession, utcnow
from worker.runtime import PERIODIC

BATCH = 5000


def run(now=None):
    """Prune old periodic rows, abandoned return drafts and long-gone staff sessions; returns a summary for the
    outbox row."""
    now = now or utcnow()
    config = current_app.config
    periodic_rows = _prune_periodic_rows([job.job_name for job in PERIODIC], now - config["OUTBOX_KEEP_PERIODIC"])
    drafts = _purge_drafts(now - config["RETURN_DRAFT_KEEP"])
    sessions = _prune_staff_sessions(now - config["STAFF_SESSION_KEEP"])
    return f"pruned {periodic_rows} periodic rows, {drafts} abandoned return drafts, {sessions} staff sessions"


def _prune_periodic_rows(job_names, before):
    pruned = 0
    while True:
        ids = db.session.scalars(
            select(OutboxRow.id).where(OutboxRow.job_name.in_(job_names), OutboxRow.status == "done",
                                       OutboxRow.finished_at < before).limit(BATCH)
        ).all()
        if not ids:
            return pruned
        db.session.execute(delete(OutboxRow).where(OutboxRow.id.in_(ids)))
        db.session.commit()  # in batches, so a year of sweeps never holds one long lock
        pruned += len(ids)


def _prune_staff_sessions(before):
    """Sessions ended or unseen since `before`: such a row signs nobody in and no page lists it; the audit log
    keeps who ended which."""
    result = db.session.execute(delete(StaffSession).where(
        or_(StaffSession.ended_at < before, StaffSession.last_seen_at < before)))
    db.session.commit()
    return result.rowcount


def _purge_drafts(before):
    drafts = db.session.scalars(select(ReturnDraft).where(ReturnDraft.updated_at < before)).all()
    names = [photo["name"] for draft in drafts for photo in (draft.data or {}).get("photos", [])]
    for draft in drafts:
        db.session.delete(draft)
    # The rows go first: a photo file is removed only once no draft can point at it.
    db.session.commit()
    photos.discard(names)
    return len(drafts)
