"""Browser: a lead changes the high-urgency target and the business hours; a new complaint is due by them (the
agents' queue says the clock is paused until the shop opens, the customer's case page says when we answer);
the audit log shows the change. Then "Your sessions": a second browser is signed out from the first. Every page
reached runs check_page."""

from datetime import UTC, datetime, time, timedelta

from babel.dates import format_datetime
from playwright.sync_api import expect

from portal.casework import service as cases
from portal.extensions import db
from portal.models import Case, utcnow
from tests.e2e.checks import check_page
from tests.e2e.test_cases_journeys import sign_in

PASSWORD = "correct horse battery"


def _staff_sign_in(page, base, staff, landing):
    page.goto(f"{base}/staff/signin")
    page.get_by_label("Work e-mail").fill(staff.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{base}{landing}")


def test_a_lead_changes_targets_and_hours_and_a_new_complaint_follows_them(live_server, new_page, customer,
                                                                           make_staff, screenshots):
    base, page = live_server.url, new_page()
    lead = make_staff("lead")
    today = utcnow().date()
    # Today and tomorrow are holidays, so a case opened now (or just after midnight) waits for the day after.
    holidays = [today, today + timedelta(days=1)]
    opens = datetime.combine(holidays[-1] + timedelta(days=1), time(9), tzinfo=UTC)

    _staff_sign_in(page, base, lead, "/lead")
    page.get_by_role("link", name="Admin").click()
    page.get_by_role("link", name="Settings").click()
    check_page(page, "admin-settings-before", screenshots)
    page.get_by_label("High urgency: first response (minutes)").fill("30")
    page.get_by_label("High urgency: clock").select_option(label="Business hours only")
    page.get_by_label("The shop's time zone").fill("UTC")
    for day in ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"):
        page.get_by_label(day, exact=True).fill("09:00-18:00")
    page.get_by_label("Holidays").fill("\n".join(day.isoformat() for day in holidays))
    page.get_by_role("button", name="Save the settings").click()
    page.wait_for_url(f"{base}/admin/settings")
    expect(page.locator(".staff-flashes")).to_contain_text("apply to cases opened from now on")
    check_page(page, "admin-settings-after", screenshots)

    with live_server.app.app_context():
        case = Case(kind="complaint", customer_id=customer.id, category="damaged_or_unsafe", urgency="high",
                    description="The kettle arrived broken.")
        cases.open_case(case, "escalated", "high urgency")
        db.session.commit()
        reference = case.reference

    page.get_by_role("link", name="Queue").click()
    row = page.locator(".queue-table tbody tr", has_text=reference)
    due = datetime.fromisoformat(row.locator(".clock-due time").first.get_attribute("datetime"))
    assert due == opens + timedelta(minutes=30)
    expect(row.locator(".clock-resumes").first).to_have_text(f"clock paused – resumes {opens:%a} 09:00 UTC")
    check_page(page, "agent-queue-paused-clock", screenshots)
    row.get_by_role("link", name=reference).click()
    expect(page.locator(".clock-resumes").first).to_contain_text(f"resumes {opens:%a} 09:00")
    check_page(page, "agent-case-paused-clock", screenshots)

    customer_page = new_page()
    sign_in(customer_page, live_server, customer)
    customer_page.goto(f"{base}/cases/{reference}")
    answer_by = format_datetime(due, "medium", tzinfo=UTC, locale="en")
    expect(customer_page.locator(".case-next")).to_contain_text(f"We will answer by {answer_by}.")
    check_page(customer_page, "customer-case-new-due-time", screenshots)

    page.get_by_role("link", name="Admin").click()
    page.get_by_role("link", name="Audit log").click()
    page.get_by_label("What").select_option(label="Settings")
    page.get_by_role("button", name="Show").click()
    log = page.locator("#audit-rows")
    expect(log).to_contain_text("High urgency: first response (minutes): 10 → 30")
    expect(log).to_contain_text("High urgency: clock: Around the clock → Business hours only")
    expect(log).to_contain_text(lead.email)
    check_page(page, "admin-audit-settings", screenshots)


def test_an_agent_signs_a_forgotten_browser_out_from_your_sessions(live_server, new_page, make_staff, screenshots):
    base = live_server.url
    # The forgotten browser's queue refreshes itself every second: once its session ends, the refresh takes it
    # to the sign-in on its own.
    live_server.app.config["AGENT_QUEUE_REFRESH_SECONDS"] = 1
    agent = make_staff("agent")
    forgotten, here = new_page(), new_page(width="mobile")
    _staff_sign_in(forgotten, base, agent, "/agent")
    _staff_sign_in(here, base, agent, "/agent")

    here.goto(f"{base}/agent")
    here.get_by_role("link", name="Your sessions").click()
    rows = here.locator("tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.filter(has_text="This browser")).to_have_count(1)
    check_page(here, "staff-sessions-two", screenshots)
    rows.filter(has_not_text="This browser").get_by_role("button", name="Sign out").click()
    expect(here.locator(".staff-flashes")).to_contain_text("That session is signed out.")
    expect(rows).to_have_count(1)
    check_page(here, "staff-sessions-one", screenshots)

    expect(forgotten).to_have_url(f"{base}/staff/signin?next=/agent")
    here.goto(f"{base}/agent")
    expect(here).to_have_url(f"{base}/agent")
