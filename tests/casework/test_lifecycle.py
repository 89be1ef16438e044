"""The case lifecycle: one transition function, the status map, audit events, SLA clocks and outbox jobs."""

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from portal.casework import service
from portal.models import Case, CaseEvent, utcnow
from portal.models.cases import TRANSITIONS
from tests.cases.helpers import outbox


def new_case(db, customer, first_status="escalated", urgency="high", kind="complaint", now=None):
    case = Case(kind=kind, customer_id=customer.id, category="other", description="Help", urgency=urgency,
                priority=1)
    service.open_case(case, first_status, "triage said so", now=now or utcnow())
    db.session.commit()
    return case


def status_events(case):
    return [(e.old_value, e.new_value) for e in service.timeline(case)]


def test_references_are_random_short_and_unguessable(db, customer):
    references = {new_case(db, customer).reference for _ in range(20)}

    assert len(references) == 20
    assert all(re.fullmatch(r"C-[23456789ABCDEFGHJKMNPQRSTUVWXYZ]{8}", r) for r in references)


def test_opening_writes_submitted_then_the_chosen_status_with_who_and_why(db, customer):
    case = new_case(db, customer, "escalated")

    assert status_events(case) == [("", "submitted"), ("submitted", "escalated")]
    last = service.timeline(case)[-1]
    assert (last.actor_type, last.reason) == ("system", "triage said so")


def test_an_escalated_case_is_in_the_queue_with_its_sla_from_settings(app, db, customer):
    now = utcnow()
    case = new_case(db, customer, "escalated", urgency="high", now=now)

    assert case.escalated and case.escalated_at == now
    assert case.first_response_due == now + app.config["SLA_FIRST_RESPONSE"]["high"]
    assert case.resolution_due == now + app.config["SLA_RESOLUTION"]["high"]
    [notify] = outbox(db, "case.notify")
    [alert] = outbox(db, "case.escalated")
    event = service.timeline(case)[-1]
    assert (notify.key, notify.args) == (f"case:{case.id}:event:{event.id}", [case.id, event.id])
    assert (alert.key, alert.args, alert.queue) == (f"case:{case.id}:escalated:1", [case.id], "high")


def test_an_acknowledged_case_is_not_in_the_queue_and_is_told_once(db, customer):
    case = new_case(db, customer, "acknowledged", urgency="medium")

    assert not case.escalated
    assert len(outbox(db, "case.notify")) == 1
    assert outbox(db, "case.escalated") == []


def test_a_transition_outside_the_map_is_refused_and_changes_nothing(db, customer):
    case = new_case(db, customer, "acknowledged", urgency="low")
    rows_before = len(outbox(db))

    with pytest.raises(service.InvalidTransition):
        service.transition(case, "refunded")

    assert case.status == "acknowledged"
    assert len(outbox(db)) == rows_before
    assert status_events(case)[-1] == ("submitted", "acknowledged")


@pytest.mark.parametrize("status", sorted(TRANSITIONS))
def test_every_status_in_the_map_leads_only_to_known_statuses(status):
    assert TRANSITIONS[status] <= set(TRANSITIONS)


def test_resolving_schedules_the_survey_and_the_follow_up_after_their_delays(app, db, customer):
    case = new_case(db, customer, "escalated")
    now = utcnow()

    service.transition(case, "resolved", actor_type="staff", reason="refund sent", now=now)
    db.session.commit()

    [survey] = outbox(db, "survey.invite")
    [followup] = outbox(db, "followup.check")
    assert (survey.key, survey.args) == (f"survey:case:{case.id}", [case.id])
    assert survey.not_before == now + app.config["SURVEY_DELAY"]
    assert (followup.key, followup.not_before) == (f"followup:case:{case.id}:1", now + app.config["FOLLOWUP_DELAY"])
    assert case.resolved_at == now


def test_closing_a_resolved_case_schedules_no_second_survey_or_follow_up(db, customer):
    case = new_case(db, customer, "escalated")
    service.transition(case, "resolved")
    service.transition(case, "closed")
    db.session.commit()

    assert len(outbox(db, "survey.invite")) == 1
    assert len(outbox(db, "followup.check")) == 1
    assert case.closed_at is not None


def test_a_reopened_case_goes_back_to_agents_and_its_next_resolution_gets_a_new_follow_up(db, customer):
    case = new_case(db, customer, "escalated")
    service.transition(case, "resolved")
    service.reopen(case, "still broken")
    service.transition(case, "escalated")
    service.transition(case, "resolved")
    db.session.commit()

    assert [row.key for row in outbox(db, "followup.check")] == [f"followup:case:{case.id}:1",
                                                                  f"followup:case:{case.id}:2"]
    assert [row.key for row in outbox(db, "case.escalated")] == [f"case:{case.id}:escalated:1",
                                                                  f"case:{case.id}:escalated:2"]
    assert len(outbox(db, "survey.invite")) == 1


def test_an_agents_resolution_is_the_first_response_and_makes_an_untaken_case_theirs(db, customer, agent):
    case = new_case(db, customer, "escalated")
    now = utcnow()

    service.transition(case, "resolved", actor_type="staff", staff=agent, reason="refund sent", now=now)
    db.session.commit()

    assert (case.first_response_at, case.assignee_id) == (now, agent.id)
    assigned = db.session.scalar(select(CaseEvent).where(CaseEvent.case_id == case.id, CaseEvent.field == "assignee"))
    assert (assigned.new_value, assigned.staff_id) == (agent.email, agent.id)


def test_a_rejection_answers_the_customer_too_but_a_case_they_solved_themselves_has_no_first_response(
        db, customer, agent):
    rejected = new_case(db, customer, "needs_review", kind="return")
    solved = new_case(db, customer, "acknowledged", urgency="medium")

    service.transition(rejected, "rejected", actor_type="staff", staff=agent, reason="outside the window")
    service.mark_solved(solved)
    db.session.commit()

    assert rejected.first_response_at is not None and rejected.assignee_id == agent.id
    assert (solved.first_response_at, solved.assignee_id) == (None, None)


def test_reopening_is_refused_after_the_reopen_window(app, db, customer):
    case = new_case(db, customer, "escalated")
    resolved = utcnow() - timedelta(days=app.config["REOPEN_WINDOW_DAYS"], minutes=1)
    service.transition(case, "resolved", now=resolved)
    db.session.commit()

    assert not service.can_reopen(case)
    with pytest.raises(service.ActionRefused):
        service.reopen(case)
    assert case.status == "resolved"


def test_a_closed_case_is_final(db, customer):
    case = new_case(db, customer, "escalated")
    service.transition(case, "resolved")
    service.transition(case, "closed")

    assert not service.can_reopen(case)


def test_overdue_acknowledged_cases_are_escalated_with_a_fresh_first_response_clock(app, db, customer):
    filed = utcnow() - timedelta(hours=2)
    overdue = new_case(db, customer, "acknowledged", urgency="medium", now=filed)
    fresh = new_case(db, customer, "acknowledged", urgency="low", now=filed)
    now = utcnow()

    assert service.escalate_overdue_acknowledged(now) == 1
    db.session.commit()

    assert (overdue.status, fresh.status) == ("escalated", "acknowledged")
    assert overdue.first_response_due == now + app.config["SLA_FIRST_RESPONSE"]["medium"]
    assert service.timeline(overdue)[-1].reason == "no reply from the customer by the first-response target"
    assert [row.args for row in outbox(db, "case.escalated")] == [[overdue.id]]
    assert service.escalate_overdue_acknowledged(now) == 0


def test_asking_for_a_person_keeps_a_first_response_promise_still_in_the_future(db, customer):
    case = new_case(db, customer, "acknowledged", urgency="medium")
    promised = case.first_response_due

    service.ask_for_a_person(case)
    db.session.commit()

    assert case.status == "escalated" and case.escalated
    assert case.first_response_due == promised
    assert service.timeline(case)[-1].actor_type == "customer"


def test_a_customer_reply_to_an_answered_case_goes_back_to_the_agent(db, customer):
    case = new_case(db, customer, "escalated")
    service.transition(case, "answered", actor_type="staff")

    service.customer_reply(case, "It still does not work.")
    db.session.commit()

    assert case.status == "escalated"
    assert [m.body for m in service.visible_messages(case)] == ["It still does not work."]


@pytest.mark.parametrize("body, refusal", [("", "empty"), ("   \n ", "empty"), ("x" * 5001, "too long")])
def test_empty_or_huge_replies_are_refused(db, customer, body, refusal):
    case = new_case(db, customer, "escalated")

    with pytest.raises(service.ActionRefused, match=refusal):
        service.customer_reply(case, body)


def test_every_transition_is_audited_with_actor_and_staff(db, customer, agent):
    case = new_case(db, customer, "escalated")

    service.transition(case, "answered", actor_type="staff", staff=agent, reason="replied")
    db.session.commit()

    event = db.session.scalar(select(CaseEvent).where(CaseEvent.case_id == case.id)
                              .order_by(CaseEvent.id.desc()).limit(1))
    assert (event.actor_type, event.staff_id, event.old_value, event.new_value, event.reason) == (
        "staff", agent.id, "escalated", "answered", "replied")


def test_the_resolution_clock_waits_while_the_customers_parcel_is_on_its_way(app, db, customer):
    filed = utcnow() - timedelta(days=10)
    case = new_case(db, customer, "approved", urgency="low", kind="return", now=filed)
    promised = case.resolution_due
    service.transition(case, "awaiting_item", now=filed + timedelta(hours=1))
    arrived = filed + timedelta(days=8, hours=1)

    service.transition(case, "received", now=arrived)
    service.transition(case, "refunded", now=arrived + timedelta(hours=2))
    db.session.commit()

    assert case.resolution_due == promised + timedelta(days=8)
    assert case.resolved_at < case.resolution_due  # the wait for the parcel is not ours to count


def test_the_agent_sees_a_waiting_resolution_clock_as_paused_not_missed(app, db, customer):
    from portal.agent.service import clocks
    from portal.agent.views import countdown

    filed = utcnow() - timedelta(days=10)
    case = new_case(db, customer, "approved", urgency="low", kind="return", now=filed)
    service.transition(case, "awaiting_item", now=filed + timedelta(hours=1))

    _first, resolution = clocks(case, utcnow())

    assert resolution.paused and not resolution.breached and not resolution.running
    with app.test_request_context():
        assert countdown(resolution) == "paused: waiting for the customer's parcel"
