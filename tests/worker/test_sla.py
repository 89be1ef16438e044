"""The SLA sweep: warn the leads at 80 %, mark breaches and raise priority, apologise for late orders once."""

from datetime import timedelta

from sqlalchemy import func, select

from portal.casework.priority import priority, raised_priority
from portal.jobs import schedule
from portal.models import OutboxRow, utcnow
from tests.worker.cases import make_case
from worker import runtime, sla


def _escalated(customer, minutes_ago, due_in_minutes, **overrides):
    now = utcnow()
    return make_case(customer, status="escalated", escalated=True, urgency="high",
                     escalated_at=now - timedelta(minutes=minutes_ago), created_at=now - timedelta(minutes=minutes_ago),
                     first_response_due=now + timedelta(minutes=due_in_minutes), resolution_due=None,
                     resolved_at=None, **overrides)


def _rows(db, job_name):
    db.session.expire_all()
    return db.session.scalars(select(OutboxRow).where(OutboxRow.job_name == job_name)).all()


def test_no_warning_before_eighty_percent(app, db, customer):
    case = _escalated(customer, minutes_ago=7, due_in_minutes=3)  # 70 % of a 10-minute target

    sla.sweep()
    db.session.commit()

    assert case.first_response_warned_at is None
    assert _rows(db, "sla.warn_lead") == []


def test_at_eighty_percent_the_lead_is_warned_once(app, db, customer):
    case = _escalated(customer, minutes_ago=9, due_in_minutes=1)

    sla.sweep()
    sla.sweep()
    db.session.commit()

    assert case.first_response_warned_at is not None
    assert not case.first_response_breached
    [row] = _rows(db, "sla.warn_lead")
    assert row.args == [case.id, "first_response", "warning"]


def test_a_breach_is_marked_once_and_raises_priority(app, db, customer):
    calm_high = priority("high", False, utcnow())
    case = _escalated(customer, minutes_ago=12, due_in_minutes=-2, priority=calm_high)

    sla.sweep()
    sla.sweep(now=utcnow() + timedelta(minutes=5))
    db.session.commit()

    assert case.first_response_breached
    assert case.priority == raised_priority(calm_high)
    assert case.priority <= priority("high", True, utcnow())  # level with angry high cases filed now
    assert [row.args[2] for row in _rows(db, "sla.warn_lead")] == ["breach"]


def test_the_resolution_target_is_watched_too(app, db, customer):
    now = utcnow()
    case = make_case(customer, status="answered", escalated=True, urgency="medium", resolved_at=None,
                     escalated_at=now - timedelta(hours=23), created_at=now - timedelta(hours=23),
                     first_response_at=now - timedelta(hours=22), first_response_due=now - timedelta(hours=22),
                     resolution_due=now + timedelta(hours=1))

    sla.sweep()
    db.session.commit()

    assert case.resolution_warned_at is not None
    assert case.first_response_warned_at is None
    assert [row.args[1:] for row in _rows(db, "sla.warn_lead")] == [["resolution", "warning"]]


def test_cases_answered_resolved_or_not_escalated_are_left_alone(app, db, customer):
    now = utcnow()
    _escalated(customer, minutes_ago=12, due_in_minutes=-2, first_response_at=now - timedelta(minutes=5))
    make_case(customer, status="submitted", escalated=False, first_response_due=now - timedelta(minutes=1),
              resolved_at=None)
    make_case(customer, status="resolved", escalated=True, first_response_due=now - timedelta(minutes=1))

    assert sla.sweep() == "0 escalated, 0 warned, 0 breached, 0 late orders"


def test_a_case_an_agent_resolved_in_time_never_misses_its_first_response(app, db, customer, agent):
    from portal.agent import service as agent_service
    from portal.casework import service as casework

    now = utcnow()
    case = _escalated(customer, minutes_ago=6, due_in_minutes=4)
    agent_service.resolve(case, agent, "refund", 1250, "Refunded in full.")
    db.session.commit()

    assert sla.sweep(now=now + timedelta(minutes=10)) == "0 escalated, 0 warned, 0 breached, 0 late orders"
    # Reopened after its target passed, it is back with the agents, answered already as a replied case is.
    casework.reopen(case, now=now + timedelta(minutes=15))
    db.session.commit()
    sla.sweep(now=now + timedelta(hours=1))
    db.session.commit()

    assert not case.first_response_breached and case.first_response_warned_at is None
    assert _rows(db, "sla.warn_lead") == []


def test_the_lead_gets_the_warning_by_mail(app, db, redis, customer, lead, mail_sink):
    case = _escalated(customer, minutes_ago=9, due_in_minutes=1)
    schedule("sla.sweep", key="sla.sweep:test")
    db.session.commit()

    runtime.run(app, burst=True)

    [message] = mail_sink.to(lead.email)
    assert message["Subject"] == f"Case {case.reference} is close to its first-response target"
    assert f"http://portal.test/agent/cases/{case.reference}" in message.get_body(("plain",)).get_content()


def test_a_late_order_gets_one_apology(app, db, redis, customer, make_order, mail_sink):
    order = make_order(customer=customer, status="paid", ship_by=utcnow() - timedelta(days=2))
    on_time = make_order(customer=customer, status="paid", ship_by=utcnow() + timedelta(days=2))

    assert sla.sweep().endswith("1 late orders")
    db.session.commit()
    assert sla.sweep().endswith("0 late orders")
    db.session.commit()
    runtime.run(app, burst=True)

    [message] = mail_sink.to("alice@example.com")
    assert message["Subject"] == f"Your order {order.number} is running late"
    assert f"/orders/{order.number}" in message.get_body(("plain",)).get_content()
    db.session.refresh(order)
    db.session.refresh(on_time)
    assert order.late_notified_at is not None and on_time.late_notified_at is None


def test_periodic_jobs_are_written_once_per_period_however_many_workers_ask(app, db):
    minute = utcnow().replace(second=10, microsecond=0)

    assert runtime.schedule_periodic(minute) == len(runtime.PERIODIC)
    assert runtime.schedule_periodic(minute + timedelta(seconds=30)) == 0
    runtime.schedule_periodic(minute + timedelta(minutes=1))
    assert db.session.scalar(select(func.count()).where(OutboxRow.job_name == "sla.sweep")) == 2
