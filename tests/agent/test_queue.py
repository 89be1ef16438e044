"""The agents' queue: escalated open cases by priority then due time, filters, search, refresh, "Take"."""

from datetime import timedelta

import pytest

from portal.agent import service
from portal.models import Case, CaseEvent, utcnow
from tests.agent.helpers import make_case, sign_in_staff


@pytest.fixture
def signed_in(client, agent):
    sign_in_staff(client, agent)
    return client


def _references_in(html, cases):
    """The references of `cases` in the order they appear on the page."""
    positions = sorted((html.index(case.reference), case.reference) for case in cases if case.reference in html)
    return [reference for _position, reference in positions]


def test_the_queue_shows_escalated_open_cases_by_priority_then_due_time(signed_in, customer):
    now = utcnow()
    later = make_case(customer, priority=50, first_response_due=now + timedelta(minutes=30))
    sooner = make_case(customer, priority=50, first_response_due=now + timedelta(minutes=5))
    urgent = make_case(customer, priority=10, first_response_due=now + timedelta(hours=2))
    not_escalated = make_case(customer, escalated=False, status="acknowledged")
    resolved = make_case(customer, status="resolved", resolved_at=now)
    html = signed_in.get("/agent").get_data(as_text=True)
    assert _references_in(html, [later, sooner, urgent]) == [urgent.reference, sooner.reference, later.reference]
    assert not_escalated.reference not in html
    assert resolved.reference not in html


def test_each_row_shows_kind_urgency_anger_tier_and_both_clocks(signed_in, make_customer):
    vip = make_customer(tier="vip")
    now = utcnow()
    make_case(vip, angry=True, urgency="high", first_response_due=now - timedelta(minutes=3),
              resolution_due=now + timedelta(hours=5))
    html = signed_in.get("/agent").get_data(as_text=True)
    assert "VIP" in html
    assert "angry" in html
    assert "3 min overdue" in html or "2 min overdue" in html
    assert "clock-breached" in html
    assert "left" in html


def test_the_first_response_clock_stops_once_answered(signed_in, customer):
    case = make_case(customer, status="answered", first_response_at=utcnow() - timedelta(minutes=1))
    first, resolution = service.clocks(case, utcnow())
    assert not first.running and not first.breached
    assert resolution.running


def test_the_first_response_clock_stops_when_the_customer_solves_the_case_before_anyone_answered(signed_in, customer):
    solved = utcnow() - timedelta(hours=2)
    case = make_case(customer, status="resolved", resolved_at=solved, created_at=solved - timedelta(minutes=5))
    first, _resolution = service.clocks(case, utcnow())
    assert not first.running and not first.breached  # due after the case was solved: met, and never overdue


@pytest.mark.parametrize("args, expected", [
    ({"kind": "return"}, {"ret"}),
    ({"urgency": "low"}, {"low"}),
    ({"assigned": "mine"}, {"mine"}),
    ({"assigned": "unassigned"}, {"ret", "low", "late"}),
    ({"breached": "1"}, {"late"}),
])
def test_filters_narrow_the_queue(signed_in, customer, agent, args, expected):
    now = utcnow()
    cases = {
        "ret": make_case(customer, kind="return"),
        "low": make_case(customer, urgency="low"),
        "mine": make_case(customer, assignee_id=agent.id),
        "late": make_case(customer, first_response_due=now - timedelta(minutes=1)),
    }
    html = signed_in.get("/agent", query_string=args).get_data(as_text=True)
    assert {name for name, case in cases.items() if case.reference in html} == expected


def test_search_finds_a_case_by_reference_or_customer_email(signed_in, customer, make_customer):
    mine = make_case(customer)
    other = make_case(make_customer())
    html = signed_in.get("/agent", query_string={"q": mine.reference.lower()}).get_data(as_text=True)
    assert mine.reference in html and other.reference not in html
    html = signed_in.get("/agent", query_string={"q": " ALICE@example.com "}).get_data(as_text=True)
    assert mine.reference in html and other.reference not in html


@pytest.mark.parametrize("args", [
    {"kind": "<script>x</script>"}, {"urgency": "urgent"}, {"assigned": "everyone"}, {"breached": "yes"},
    {"q": "x" * 5000}, {"q": "' OR 1=1 --"},
])
def test_unknown_filter_values_are_ignored_and_never_break_the_page(signed_in, customer, args):
    make_case(customer)
    response = signed_in.get("/agent", query_string=args)
    assert response.status_code == 200
    assert b"<script>x</script>" not in response.data


def test_the_list_refreshes_itself_with_the_same_filters(signed_in, customer):
    make_case(customer)
    html = signed_in.get("/agent?urgency=high&assigned=unassigned").get_data(as_text=True)
    assert 'hx-trigger="every 15s"' in html
    assert "/agent?urgency=high&amp;assigned=unassigned" in html


def test_an_htmx_refresh_returns_only_the_list(signed_in, customer):
    case = make_case(customer)
    full = signed_in.get("/agent")
    fragment = signed_in.get("/agent", headers={"HX-Request": "true"})
    assert b"<html" in full.data and b"<html" not in fragment.data
    assert case.reference.encode() in fragment.data
    assert "HX-Request" in fragment.headers["Vary"] and "HX-Request" in full.headers["Vary"]


def test_take_assigns_the_case_and_records_it(signed_in, customer, agent, db):
    case = make_case(customer)
    response = signed_in.post(f"/agent/cases/{case.reference}/take")
    assert response.headers["Location"] == f"/agent/cases/{case.reference}"
    db.session.expire_all()
    assert db.session.get(Case, case.id).assignee_id == agent.id
    event = db.session.query(CaseEvent).filter_by(case_id=case.id, field="assignee").one()
    assert event.staff_id == agent.id and event.actor_type == "staff"


def test_take_is_refused_with_a_message_when_a_colleague_took_it_first(signed_in, customer, make_staff, db):
    colleague = make_staff("agent")
    case = make_case(customer, assignee_id=colleague.id)
    response = signed_in.post(f"/agent/cases/{case.reference}/take", follow_redirects=True)
    assert colleague.name in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Case, case.id).assignee_id == colleague.id
    assert db.session.query(CaseEvent).filter_by(case_id=case.id).count() == 0


def test_taking_an_unknown_case_is_a_404(signed_in):
    assert signed_in.post("/agent/cases/C-NOTHERE1/take").status_code == 404
    assert signed_in.post("/agent/cases/<script>/take").status_code == 404
