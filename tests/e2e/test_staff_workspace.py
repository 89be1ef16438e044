"""Browser: an agent takes the top case, answers with a canned reply, resolves with a coupon; the customer sees
the reply; a lead sees the case on the dashboard once its survey is answered. Screenshots at 1280 px."""

import re
from datetime import timedelta

from portal.auth import tokens
from portal.extensions import db
from portal.models import CannedReply, Survey, SurveyAnswer, utcnow
from tests.agent.helpers import make_case
from tests.e2e.conftest import screenshot

PASSWORD = "correct horse battery"


def _staff_sign_in(page, base, staff):
    page.goto(f"{base}/staff/signin")
    page.get_by_label("Work e-mail").fill(staff.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def test_an_agent_resolves_the_top_case_and_a_lead_sees_it(live_server, new_page, customer, make_order, make_staff,
                                                           make_customer):
    base = live_server.url
    agent, lead = make_staff("agent"), make_staff("lead")
    now = utcnow()
    order = make_order(customer=customer, status="in_transit", carrier="SwiftPost", tracking_number="SP77")
    previous = make_case(customer, kind="return", status="closed", resolution_type="refund",
                         created_at=now - timedelta(days=20), resolved_at=now - timedelta(days=18), escalated=False)
    top = make_case(customer, order, priority=1, angry=True, description="The kettle arrived smashed! Third time!")
    for n in range(4):
        make_case(make_customer(), urgency=("medium", "low")[n % 2], priority=100 + n,
                  created_at=now - timedelta(minutes=30 + n * 50))
    db.session.add(CannedReply(title="Empathy: sorry for the trouble", locale="en", empathy=True,
                               body="Hi {first_name}, I am really sorry about order {order_number}."))
    db.session.commit()

    page = new_page("desktop")
    _staff_sign_in(page, base, agent)
    page.wait_for_url(f"{base}/agent")
    rows = page.locator(".queue-table tbody tr")
    assert top.reference in rows.first.inner_text()
    screenshot(page, "staff-queue-1280")
    rows.first.get_by_role("button", name="Take").click()
    page.wait_for_url(f"{base}/agent/cases/{top.reference}")
    side = page.locator(".workspace-side")
    assert order.number in side.inner_text()
    assert previous.reference in side.inner_text()

    page.get_by_label("Canned reply").select_option(label="♥ Empathy: sorry for the trouble")
    page.get_by_role("button", name="Insert", exact=True).click()
    reply_box = page.get_by_label("Message (the customer reads it and gets an e-mail)")
    expected = f"Hi Alice, I am really sorry about order {order.number}."
    page.wait_for_function("text => document.querySelector('#reply-body').value.includes(text)", arg=expected)
    assert page.url == f"{base}/agent/cases/{top.reference}", "htmx inserted it without leaving the page"
    reply_box.press("End")
    reply_box.type(" A new kettle is on its way.")
    page.get_by_role("button", name="Send reply").click()
    page.wait_for_url(f"{base}/agent/cases/{top.reference}")
    assert "Your reply was sent" in page.inner_text(".staff-flashes")
    screenshot(page, "staff-workspace-1280")

    page.get_by_label("Resolution", exact=True).select_option("coupon")
    page.get_by_label("Amount (refund or coupon value) (USD)").fill("10")
    page.get_by_label("What we did (the customer reads it)").fill("A coupon for the trouble.")
    page.get_by_role("button", name="Resolve case").click()
    assert f"Case {top.reference} is resolved." in page.inner_text(".staff-flashes")

    with live_server.app.app_context():
        raw = tokens.issue(customer.id, "signin", timedelta(minutes=15))
        db.session.commit()
    customer_page = new_page("desktop")
    customer_page.goto(f"{base}/signin/{raw}")
    customer_page.get_by_role("main").get_by_role("button", name="Sign in").click()
    customer_page.goto(f"{base}/cases/{top.reference}")
    assert "A new kettle is on its way." in customer_page.inner_text("main")
    # The shop adds the coupon: until it confirms, the customer reads that it is requested.
    assert "A coupon worth $10.00 is requested from the shop" in customer_page.inner_text("main")

    with live_server.app.app_context():
        survey = Survey(case_id=top.id, customer_id=customer.id, sent_at=utcnow())
        db.session.add(survey)
        db.session.flush()
        db.session.add(SurveyAnswer(survey_id=survey.id, score=4, nps=9, ces=2, comment="Quick and kind."))
        db.session.commit()
    lead_page = new_page("desktop")
    _staff_sign_in(lead_page, base, lead)
    lead_page.wait_for_url(f"{base}/lead")
    comments = lead_page.locator("#table-survey_comments").inner_text()
    assert top.reference in comments and "Quick and kind." in comments and agent.name in comments
    screenshot(lead_page, "staff-dashboard-1280")


def test_an_agent_inserts_a_self_service_link_from_the_cards_beside_the_articles(app, db, live_server, new_page,
                                                                                 customer, make_staff, screenshots):
    from playwright.sync_api import expect

    from portal.help import defaults, search
    from portal.help.importer import article_files, import_files
    from tests.conftest import FAQ_CORPUS_DIR
    from tests.e2e.checks import check_page

    import_files(article_files(FAQ_CORPUS_DIR))
    defaults.seed_defaults()
    db.session.commit()
    search.clear_caches()
    search.rebuild(app)
    agent = make_staff("agent")
    case = make_case(customer, description="The kettle arrived damaged, the lid is cracked.")

    page = new_page("desktop")
    _staff_sign_in(page, live_server.url, agent)
    page.wait_for_url(f"{live_server.url}/agent")
    page.goto(f"{live_server.url}/agent/cases/{case.reference}")
    page.get_by_role("button", name="Insert link Start a quality return").click()

    expect(page.get_by_label("Message (the customer reads it and gets an e-mail)")).to_have_value(
        re.compile(r"Start a quality return: http\S+/returns"))
    check_page(page, "workspace-self-service-cards", screenshots)
