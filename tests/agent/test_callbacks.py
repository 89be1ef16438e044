"""Follow-up calls: listed soonest first, completed with an outcome, rescheduled, or the case reopened."""

from datetime import timedelta

import pytest

from portal import bookings
from portal.models import Callback, Case, CaseEvent, utcnow
from tests.agent.helpers import make_case, sign_in_staff


@pytest.fixture
def signed_in(client, agent):
    sign_in_staff(client, agent)
    return client


@pytest.fixture
def callback(db, customer):
    case = make_case(customer, status="resolved", resolved_at=utcnow() - timedelta(days=3))
    row = Callback(case_id=case.id, customer_id=customer.id, reason="Rated the service 2", phone="+1 555 0100",
                   due_at=utcnow() - timedelta(hours=1))
    db.session.add(row)
    db.session.commit()
    return row


def _fresh(db, row):
    db.session.expire_all()
    return db.session.get(Callback, row.id)


def test_open_calls_are_listed_with_reason_and_phone(signed_in, callback, db, customer):
    done = Callback(case_id=callback.case_id, customer_id=customer.id, reason="Old call", phone="+1",
                    due_at=utcnow(), status="done")
    db.session.add(done)
    db.session.commit()
    html = signed_in.get("/agent/callbacks").get_data(as_text=True)
    assert "Rated the service 2" in html and "+1 555 0100" in html and "callback-due" in html
    assert "Old call" not in html


def test_completing_a_call_keeps_the_outcome(signed_in, db, callback, agent):
    signed_in.post(f"/agent/callbacks/{callback.id}", data={"action": "complete", "note": "All good now."})
    row = _fresh(db, callback)
    assert (row.status, row.outcome_note, row.completed_by_id) == ("done", "All good now.", agent.id)
    assert db.session.query(CaseEvent).filter_by(case_id=callback.case_id, field="callback").count() == 1


def test_a_call_that_finds_the_problem_unfixed_reopens_the_case(signed_in, db, callback):
    signed_in.post(f"/agent/callbacks/{callback.id}", data={"action": "reopen", "note": "Still leaking."})
    assert _fresh(db, callback).status == "done"
    assert db.session.get(Case, callback.case_id).status == "reopened"


def test_rescheduling_moves_the_call(signed_in, db, callback):
    when = (utcnow() + timedelta(days=1)).replace(second=0, microsecond=0)
    signed_in.post(f"/agent/callbacks/{callback.id}/reschedule", data={"due_at": when.strftime("%Y-%m-%dT%H:%M")})
    assert _fresh(db, callback).due_at == when


@pytest.mark.parametrize("data", [{"due_at": ""}, {"due_at": "yesterday"}, {"due_at": "2001-01-01T10:00"},
                                  {"due_at": "2999-01-01T10:00"}])
def test_a_bad_reschedule_changes_nothing(signed_in, db, callback, data):
    before = callback.due_at
    signed_in.post(f"/agent/callbacks/{callback.id}/reschedule", data=data)
    assert _fresh(db, callback).due_at == before


@pytest.mark.parametrize("data", [{"action": "complete", "note": ""}, {"action": "delete", "note": "x"},
                                  {"action": "complete", "note": "x" * 6000}])
def test_a_bad_outcome_changes_nothing(signed_in, db, callback, data):
    response = signed_in.post(f"/agent/callbacks/{callback.id}", data=data)
    assert response.status_code in (302, 400)
    assert _fresh(db, callback).status == "open"


def test_a_closed_call_cannot_be_closed_again(signed_in, db, callback):
    signed_in.post(f"/agent/callbacks/{callback.id}", data={"action": "complete", "note": "Done."})
    signed_in.post(f"/agent/callbacks/{callback.id}", data={"action": "complete", "note": "Again."})
    assert _fresh(db, callback).outcome_note == "Done."


def test_an_unknown_call_is_a_404(signed_in):
    assert signed_in.post("/agent/callbacks/999999", data={"action": "complete", "note": "x"}).status_code == 404


def test_a_call_whose_time_the_customer_chose_says_so_and_a_reschedule_frees_that_time(signed_in, callback, db):
    start = bookings.free_slots("callback", utcnow())[0].start
    bookings.book("callback", callback.case, start, callback=callback)
    db.session.commit()

    html = signed_in.get("/agent/callbacks").get_data(as_text=True)
    later = (utcnow() + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    moved = signed_in.post(f"/agent/callbacks/{callback.id}/reschedule", data={"due_at": later})

    assert "time chosen by the customer" in html
    assert moved.status_code == 302
    db.session.expire_all()
    assert bookings.booking_for("callback", db.session.get(Case, callback.case_id)) is None
