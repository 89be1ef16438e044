"""Browser: a lead changes the high-urgency target and the business hours; a new complaint is due by them; the
audit log shows the change. Screenshots at 1280 px."""

from datetime import UTC, datetime, time, timedelta

from portal.cases import service as cases
from portal.extensions import db
from portal.models import Case, utcnow
from tests.e2e.conftest import screenshot

PASSWORD = "correct horse battery"


def test_a_lead_changes_targets_and_hours_and_a_new_complaint_follows_them(live_server, page, customer, make_staff):
    base = live_server.url
    lead = make_staff("lead")
    today = utcnow().date()
    # Today and tomorrow are holidays, so a case opened now (or just after midnight) waits for the day after.
    holidays = [today, today + timedelta(days=1)]

    page.goto(f"{base}/staff/signin")
    page.get_by_label("Work e-mail").fill(lead.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{base}/lead")
    page.get_by_role("link", name="Admin").click()
    page.get_by_role("link", name="Settings").click()
    page.get_by_label("High urgency: first response (minutes)").fill("30")
    page.get_by_label("High urgency: clock").select_option(label="Business hours only")
    page.get_by_label("The shop's time zone").fill("UTC")
    for day in ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"):
        page.get_by_label(day, exact=True).fill("09:00-18:00")
    page.get_by_label("Holidays").fill("\n".join(day.isoformat() for day in holidays))
    page.get_by_role("button", name="Save the settings").click()
    page.wait_for_url(f"{base}/admin/settings")
    assert "apply to cases opened from now on" in page.inner_text(".staff-flashes")
    screenshot(page, "admin-settings-1280")

    with live_server.app.app_context():
        case = Case(kind="complaint", customer_id=customer.id, category="damaged", urgency="high",
                    description="The kettle arrived broken.")
        cases.open_case(case, "escalated", "high urgency")
        db.session.commit()
        reference = case.reference

    page.get_by_role("link", name="Queue").click()
    row = page.locator(".queue-table tbody tr", has_text=reference)
    due = datetime.fromisoformat(row.locator(".clock-due time").first.get_attribute("datetime"))
    assert due == datetime.combine(holidays[-1] + timedelta(days=1), time(9, 30), tzinfo=UTC)

    page.get_by_role("link", name="Admin").click()
    page.get_by_role("link", name="Audit log").click()
    page.get_by_label("What").select_option(label="Settings")
    page.get_by_role("button", name="Show").click()
    log = page.inner_text("#audit-rows")
    assert "High urgency: first response (minutes): 10 → 30" in log
    assert "High urgency: clock: Around the clock → Business hours only" in log
    assert lead.email in log
    screenshot(page, "admin-audit-1280")
