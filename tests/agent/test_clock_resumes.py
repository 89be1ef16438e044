"""A business-hours clock outside business hours stands still: the queue and the case page say when it resumes."""

from datetime import UTC, datetime, timedelta

import pytest

from portal import settings
from portal.agent import service
from portal.models import utcnow
from tests.agent.helpers import make_case, sign_in_staff

SATURDAY_10 = datetime(2026, 6, 13, 10, tzinfo=UTC)
MONDAY_09 = datetime(2026, 6, 15, 9, tzinfo=UTC)
EVERY_DAY = {f"business_hours_{day}": "09:00-18:00" for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}


@pytest.fixture
def business_hours_for_high(db, lead):
    """High urgency on business hours; the other urgencies around the clock."""
    settings.change(lead, {"sla_clock_high": "business", "shop_timezone": "UTC"})
    db.session.commit()


@pytest.fixture
def closed_today_and_tomorrow(db, lead, business_hours_for_high):
    """Open every day 09:00-18:00 UTC but today and tomorrow are holidays: whatever the hour, clocks stand still
    until the day after tomorrow at 09:00."""
    today = utcnow().date()
    settings.change(lead, {**EVERY_DAY, "holidays": f"{today}\n{today + timedelta(days=1)}"})
    db.session.commit()
    return datetime.combine(today + timedelta(days=2), datetime.min.time(), tzinfo=UTC).replace(hour=9)


def test_a_running_business_hours_clock_outside_hours_says_when_it_resumes(app, customer, business_hours_for_high):
    case = make_case(customer, urgency="high", created_at=SATURDAY_10 - timedelta(hours=20))
    first, resolution = service.clocks(case, SATURDAY_10)
    assert first.resumes_at == MONDAY_09 and resolution.resumes_at == MONDAY_09


def test_no_resume_time_while_open_on_a_calendar_clock_or_for_a_stopped_clock(app, customer, business_hours_for_high):
    high = make_case(customer, urgency="high", created_at=SATURDAY_10 - timedelta(hours=20))
    assert [c.resumes_at for c in service.clocks(high, MONDAY_09 + timedelta(hours=1))] == [None, None]
    medium = make_case(customer, urgency="medium", created_at=SATURDAY_10 - timedelta(hours=20))
    assert [c.resumes_at for c in service.clocks(medium, SATURDAY_10)] == [None, None]
    answered = make_case(customer, urgency="high", first_response_at=SATURDAY_10 - timedelta(hours=1))
    waiting = make_case(customer, urgency="high", status="awaiting_item")
    assert service.clocks(answered, SATURDAY_10)[0].resumes_at is None
    assert service.clocks(waiting, SATURDAY_10)[1].resumes_at is None


@pytest.mark.parametrize("htmx", [False, True])
def test_the_queue_says_when_a_stopped_clock_resumes(client, agent, customer, closed_today_and_tomorrow, htmx):
    resumes = closed_today_and_tomorrow
    case = make_case(customer, urgency="high")
    calendar = make_case(customer, urgency="low")
    sign_in_staff(client, agent)
    html = client.get("/agent", headers={"HX-Request": "true"} if htmx else {}).get_data(as_text=True)
    row = html[html.index(case.reference):html.index("</tr>", html.index(case.reference))]
    assert f'<time datetime="{resumes.isoformat()}">clock paused – resumes {resumes:%a} 09:00 UTC</time>' in row
    other = html[html.index(calendar.reference):html.index("</tr>", html.index(calendar.reference))]
    assert "clock paused" not in other


def test_the_case_page_says_when_a_stopped_clock_resumes_in_the_readers_language(client, agent, customer,
                                                                                  closed_today_and_tomorrow):
    resumes = closed_today_and_tomorrow
    case = make_case(customer, urgency="high")
    sign_in_staff(client, agent)
    html = client.get(f"/agent/cases/{case.reference}").get_data(as_text=True)
    assert html.count(f"clock paused – resumes {resumes:%a} 09:00 UTC") == 2
    with client.session_transaction() as session:
        session["locale"] = "zh"
    html = client.get(f"/agent/cases/{case.reference}").get_data(as_text=True)
    weekday = "一二三四五六日"[resumes.weekday()]
    assert f"周{weekday}09:00" in html and "clock paused" not in html
