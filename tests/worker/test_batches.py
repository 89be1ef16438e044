"""Several due rows in one RQ job, on real Redis and a real SMTP server: each e-mail still stands alone."""

import pytest
from rq import Queue
from rq.registry import FailedJobRegistry
from rq.serializers import JSONSerializer
from sqlalchemy import select

from portal.jobs import schedule
from portal.models import Notification, OutboxRow, utcnow
from tests.worker.cases import make_case, status_event
from worker import relay, runtime

pytestmark = pytest.mark.integration


def _rows(db):
    db.session.expire_all()
    return {row.key: row for row in db.session.scalars(select(OutboxRow).where(OutboxRow.job_name == "case.notify"))}


def _resolved_cases(db, make_customer, count):
    """One resolved case per customer, each with its case.notify row; returns the customers' addresses by key."""
    addresses = {}
    for n in range(count):
        customer = make_customer(email=f"batch{n}@example.com")
        case = make_case(customer, status="resolved")
        event = status_event(case, "escalated", "resolved")
        key = f"case:{case.id}:event:{event.id}"
        schedule("case.notify", case.id, event.id, key=key)
        addresses[key] = customer.email
    db.session.commit()
    return addresses


def test_a_refused_mail_in_a_batch_backs_off_alone_while_the_others_are_done_once(app, db, redis, make_customer,
                                                                                  smtp_server):
    app.config["OUTBOX_BATCH_SIZE"] = 5
    addresses = _resolved_cases(db, make_customer, 5)
    smtp_server.refused.add("batch2@example.com")

    runtime.run(app, burst=True)

    rows = _rows(db)
    [refused_key] = [key for key, email in addresses.items() if email == "batch2@example.com"]
    batch_job_id = rows[refused_key].rq_job_id
    assert batch_job_id.endswith("-x5"), "the five rows did not travel in one RQ job"
    for key, email in addresses.items():
        row = rows[key]
        if key == refused_key:
            assert (row.status, row.attempts) == ("pending", 1)
            assert row.not_before > utcnow()
            assert "450" in row.last_error
            assert smtp_server.to(email) == []
        else:
            [message] = smtp_server.to(email)
            assert (row.status, row.attempts, row.result) == ("done", 1, message["Message-ID"])
    # The batch is reported failed to RQ, not finished: nothing was swallowed.
    registry = FailedJobRegistry("default", connection=redis, serializer=JSONSerializer)
    assert batch_job_id in registry.get_job_ids()

    smtp_server.refused.clear()
    runtime.run(app, burst=True, now=utcnow() + app.config["OUTBOX_RETRY_DELAYS"][0] * 2)

    rows = _rows(db)
    assert (rows[refused_key].status, rows[refused_key].attempts) == ("done", 2)
    assert rows[refused_key].rq_job_id == f"outbox-{rows[refused_key].id}-1", "the retry did not run alone"
    for email in addresses.values():
        assert len(smtp_server.to(email)) == 1, email
    inbox = db.session.scalars(select(Notification.outbox_key)).all()
    assert sorted(inbox) == sorted(addresses)


def test_a_row_another_worker_finished_is_skipped_inside_a_batch(app, db, redis, make_customer, smtp_server):
    app.config["OUTBOX_BATCH_SIZE"] = 3
    addresses = _resolved_cases(db, make_customer, 3)
    taken_key = next(iter(addresses))
    with app.app_context():
        relay.relay_all_due(redis)
    taken = _rows(db)[taken_key]
    taken.status = "done"  # as if a second delivery of this row had already run elsewhere
    db.session.commit()

    runtime.make_worker(app, redis).work(burst=True)

    rows = _rows(db)
    assert smtp_server.to(addresses[taken_key]) == []
    assert rows[taken_key].attempts == 0
    for key, email in addresses.items():
        if key != taken_key:
            assert len(smtp_server.to(email)) == 1
            assert rows[key].status == "done"
    assert Queue("default", connection=redis, serializer=JSONSerializer).count == 0
