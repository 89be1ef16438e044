"""A customer moves and cancels their repair appointment from the case page, in English on a desktop and in
Chinese on a phone."""

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from portal import bookings
from portal.models import Booking, utcnow
from tests.e2e.checks import check_page
from tests.e2e.test_cases_journeys import sign_in
from tests.worker.cases import make_case

WORDS = {
    "en": {"title": "Repair appointment", "move": "Move my appointment", "moved": "Your repair appointment is booked.",
           "cancel": "Cancel my appointment", "none": "No time is booked."},
    "zh": {"title": "维修预约", "move": "更改我的预约", "moved": "维修预约成功。", "cancel": "取消我的预约",
           "none": "尚未预约时间。"},
}


@pytest.mark.parametrize(("width", "language", "browser_locale"),
                         [("desktop", "en", "en-US"), ("mobile", "zh", "zh-CN")])
def test_the_customer_moves_then_cancels_a_repair_from_the_case_page(live_server, new_page, db, make_customer,
                                                                     screenshots, width, language, browser_locale):
    customer = make_customer(locale=language, timezone="Asia/Shanghai" if language == "zh" else "Europe/London")
    case = make_case(customer, status="approved", kind="repair", reference=f"C-E2E{language.upper()}001")
    first, second = bookings.free_slots("repair", utcnow(), customer.timezone)[:2]
    bookings.book("repair", case, first.start)
    db.session.commit()
    words = WORDS[language]
    page = new_page(width, browser_locale)
    sign_in(page, live_server, customer)

    page.goto(f"{live_server.url}/cases/{case.reference}")
    expect(page.get_by_role("heading", name=words["title"], exact=True)).to_be_visible()
    check_page(page, f"appointment-{language}-{width}", screenshots)

    page.locator("#repair-slot").select_option(second.value)
    page.get_by_role("button", name=words["move"]).click()
    expect(page.get_by_text(words["moved"])).to_be_visible()
    check_page(page, f"appointment-moved-{language}-{width}", screenshots)
    db.session.expire_all()
    assert [b.slot_start for b in db.session.scalars(select(Booking))] == [second.start]

    page.get_by_role("button", name=words["cancel"]).click()
    expect(page.get_by_text(words["none"])).to_be_visible()
    db.session.expire_all()
    assert db.session.scalars(select(Booking)).all() == []
