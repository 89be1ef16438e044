"""The hourly clean-up: finished periodic runs, abandoned return wizards and long-gone staff sessions go;
every other row stays."""

import io
from datetime import timedelta

from sqlalchemy import select
from werkzeug.datastructures import FileStorage

from portal.casework import photos
from portal.jobs import schedule
from portal.models import OutboxRow, ReturnDraft, StaffSession, utcnow
from tests.cases.helpers import image_bytes
from worker import cleanup, runtime


def _row(db, job_name, key, status="done", finished_days_ago=10):
    finished = utcnow() - timedelta(days=finished_days_ago)
    row = OutboxRow(job_name=job_name, key=key, args=[], status=status, finished_at=finished,
                    created_at=finished, not_before=finished)
    db.session.add(row)
    db.session.commit()
    return row.id


def _keys(db):
    db.session.expire_all()
    return set(db.session.scalars(select(OutboxRow.key)))


def test_old_finished_periodic_runs_go_and_everything_else_stays(app, db):
    _row(db, "sla.sweep", "sla.sweep:old")
    _row(db, "lead.rollup_sweep", "lead.rollup_sweep:old")
    _row(db, "sla.sweep", "sla.sweep:yesterday", finished_days_ago=1)
    _row(db, "sla.sweep", "sla.sweep:failed", status="failed")
    _row(db, "case.notify", "case:1:event:1", finished_days_ago=400)  # its key keeps the e-mail single

    summary = cleanup.run()

    assert summary.startswith("pruned 2 periodic rows")
    assert _keys(db) == {"sla.sweep:yesterday", "sla.sweep:failed", "case:1:event:1"}


def _draft(db, customer, order, photo, last_touched_days_ago):
    touched = utcnow() - timedelta(days=last_touched_days_ago)
    draft = ReturnDraft(customer_id=customer.id, order_id=order.id, data={"photos": [{"name": photo}]},
                        created_at=touched, updated_at=touched)
    db.session.add(draft)
    db.session.commit()
    return draft.id


def _photo():
    return photos.store(FileStorage(stream=io.BytesIO(image_bytes()), filename="p.jpg")).name


def test_an_abandoned_return_wizard_goes_with_its_photos_and_a_recent_one_stays(app, db, make_customer,
                                                                               make_order):
    ben, ann = make_customer(), make_customer()
    old_photo, new_photo = _photo(), _photo()
    _draft(db, ben, make_order(customer=ben, status="delivered"), old_photo, last_touched_days_ago=15)
    kept = _draft(db, ann, make_order(customer=ann, status="delivered"), new_photo, last_touched_days_ago=2)

    assert "1 abandoned return drafts" in cleanup.run()
    db.session.expire_all()
    assert db.session.scalars(select(ReturnDraft.id)).all() == [kept]
    assert photos.path_for(old_photo) is None
    assert photos.path_for(new_photo) is not None


def test_staff_sessions_ended_or_unseen_for_a_month_go_and_live_ones_stay(app, db, make_staff):
    agent = make_staff("agent")
    month_ago, yesterday = utcnow() - timedelta(days=31), utcnow() - timedelta(days=1)
    sessions = {
        "ended long ago": StaffSession(staff_id=agent.id, signed_in_at=month_ago, last_seen_at=month_ago,
                                       ended_at=month_ago, end_reason="signed_out"),
        "unseen for a month": StaffSession(staff_id=agent.id, signed_in_at=month_ago, last_seen_at=month_ago),
        "ended yesterday": StaffSession(staff_id=agent.id, signed_in_at=month_ago, last_seen_at=yesterday,
                                        ended_at=yesterday, end_reason="signed_out"),
        "in use": StaffSession(staff_id=agent.id, signed_in_at=yesterday, last_seen_at=utcnow()),
    }
    db.session.add_all(sessions.values())
    db.session.commit()
    kept = {sessions["ended yesterday"].id, sessions["in use"].id}

    assert cleanup.run().endswith("2 staff sessions")
    db.session.expire_all()
    assert set(db.session.scalars(select(StaffSession.id))) == kept


def test_the_worker_runs_the_clean_up_from_the_outbox(app, db, redis):
    _row(db, "sla.sweep", "sla.sweep:long-ago")
    schedule("cleanup.run", key="cleanup.run:test")
    db.session.commit()

    runtime.run(app, burst=True)

    db.session.expire_all()
    done = db.session.scalar(select(OutboxRow).where(OutboxRow.key == "cleanup.run:test"))
    assert done.status == "done" and done.result.startswith("pruned ")  # the hourly run may have gone first
    assert "sla.sweep:long-ago" not in _keys(db)
