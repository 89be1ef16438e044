from datetime import timedelta

import pytest
from sqlalchemy import func, select

from portal.jobs import UnknownJob, schedule
from portal.models import OutboxRow, utcnow


def test_schedule_writes_a_pending_row_in_the_callers_transaction(db, customer):
    assert schedule("mail.welcome", customer.id, key=f"welcome:{customer.id}") is True
    db.session.commit()

    row = db.session.scalar(select(OutboxRow))
    assert (row.job_name, row.args, row.queue, row.status) == ("mail.welcome", [customer.id], "default", "pending")
    assert row.not_before <= utcnow()


def test_the_same_key_twice_is_written_once(db, customer):
    assert schedule("mail.welcome", customer.id, key="welcome:once") is True
    assert schedule("mail.welcome", customer.id, key="welcome:once") is False
    db.session.commit()

    assert db.session.scalar(select(func.count()).select_from(OutboxRow)) == 1


def test_a_rolled_back_change_takes_its_job_with_it(db, customer):
    schedule("mail.welcome", customer.id, key="welcome:rolled-back")
    db.session.rollback()

    assert db.session.scalar(select(func.count()).select_from(OutboxRow)) == 0


def test_delayed_work_keeps_its_not_before(db, customer):
    later = utcnow() + timedelta(days=3)
    schedule("mail.welcome", customer.id, key="welcome:later", not_before=later)
    db.session.commit()

    assert abs(db.session.scalar(select(OutboxRow.not_before)) - later) < timedelta(seconds=1)


def test_unknown_jobs_and_bad_times_are_refused(db):
    with pytest.raises(UnknownJob):
        schedule("mail.nonexistent", 1, key="x")
    with pytest.raises(TypeError):
        schedule("mail.welcome", 1, key="y", not_before="tomorrow")
