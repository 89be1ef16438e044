"""The help assistant in a real Chromium, in both languages, at phone and desktop width: a customer's parcel
timeline inline, a guest's order look-up, a return question opening the wizard with the item chosen, and
"I want a person" opening a case the agent reads with the transcript."""

from datetime import timedelta

import pytest
from playwright.sync_api import expect

from portal.models import utcnow
from tests.e2e.conftest import screenshot
from tests.e2e.test_cases_journeys import sign_in

# (page language, width, what the customer types) for each journey: both languages and both widths are covered.
WHERE = {"en": "where is my parcel?", "zh": "我的包裹到哪了？"}
RETURN = {"en": "can I return the running shoes?", "zh": "我想退货"}
PERSON = {"en": "I want to talk to a person", "zh": "我要人工客服"}
BROWSER_LOCALE = {"en": "en-US", "zh": "zh-CN"}
PASSWORD = "correct horse battery"
# The first message of a process loads the model and embeds the intent bank: seconds, once.
FIRST_ANSWER_MS = 90_000


def ask(page, text):
    page.locator("#assistant-message").fill(text)
    page.locator(".assistant-form button[type=submit]").click()


def parcel(make_order, customer):
    now = utcnow()
    return make_order(customer=customer, status="in_transit", shipped_at=now - timedelta(days=1), carrier="SwiftPost",
                      events=[{"status": "shipped", "location": "Shenzhen, CN", "occurred_at": now - timedelta(days=1)},
                              {"status": "in_transit", "location": "Hong Kong, HK",
                               "occurred_at": now - timedelta(hours=3)}])


@pytest.mark.parametrize("language,width", [("en", "desktop"), ("zh", "mobile")])
def test_a_signed_in_customer_sees_the_parcel_timeline_inline(live_server, new_page, make_customer, make_order,
                                                               language, width):
    customer = make_customer(locale=language)
    order = parcel(make_order, customer)
    page = new_page(width, locale=BROWSER_LOCALE[language])
    sign_in(page, live_server, customer)
    page.goto(f"{live_server.url}/help/")
    ask(page, WHERE[language])
    log = page.locator("#assistant-log")
    expect(log.locator(".turn-order .timeline li")).to_have_count(2, timeout=FIRST_ANSWER_MS)
    expect(log).to_contain_text(order.number)
    expect(log).to_contain_text("Hong Kong, HK")
    assert page.locator("[role=log][aria-live=polite] > #assistant-log").count() == 1
    screenshot(page, f"assistant-order-{language}-{width}")


@pytest.mark.parametrize("language,width", [("en", "mobile"), ("zh", "desktop")])
def test_a_guest_gives_order_number_and_email(live_server, new_page, make_customer, make_order, language, width):
    customer = make_customer(email=f"guest-{language}@example.com")
    order = parcel(make_order, customer)
    page = new_page(width, locale=BROWSER_LOCALE[language])
    page.goto(f"{live_server.url}/assistant/")
    ask(page, WHERE[language])
    number = page.locator("#assistant-number")
    # The answer puts the cursor in the order number (htmx settles `autofocus` just after the swap).
    expect(number).to_be_focused(timeout=FIRST_ANSWER_MS)
    number.fill(order.number)
    page.locator("#assistant-email").fill(customer.email)
    page.locator(".assistant-lookup button[type=submit]").click()
    expect(page.locator("#assistant-log .turn-order")).to_contain_text("Hong Kong, HK")
    assert "1 Test Street" not in page.content()  # the address is never part of the answer


@pytest.mark.parametrize("language,width", [("en", "desktop"), ("zh", "mobile")])
def test_a_return_question_opens_the_wizard_with_the_item_chosen(live_server, new_page, make_customer, make_order,
                                                                  language, width):
    customer = make_customer(locale=language)
    now = utcnow()
    order = make_order(customer=customer, status="delivered", delivered_at=now - timedelta(days=2),
                       items=[{"sku": "SH-1", "name": "Running shoes", "category": "shoes", "price_cents": 8000}])
    page = new_page(width, locale=BROWSER_LOCALE[language])
    sign_in(page, live_server, customer)
    page.goto(f"{live_server.url}/assistant/")
    ask(page, RETURN[language])
    expect(page.locator("#assistant-log")).to_contain_text("Running shoes", timeout=FIRST_ANSWER_MS)
    page.locator("#assistant-actions form[action$='/assistant/return'] button").click()
    page.wait_for_url(f"{live_server.url}/returns/{order.number}/step/2")
    expect(page.locator("input[name=reason]").first).to_be_visible()
    screenshot(page, f"assistant-return-{language}-{width}")


@pytest.mark.parametrize("language,width", [("en", "mobile"), ("zh", "desktop")])
def test_asking_for_a_person_opens_a_case_the_agent_sees_with_the_transcript(live_server, new_page, make_customer,
                                                                              make_staff, language, width):
    customer = make_customer(locale=language)
    agent = make_staff("agent")
    page = new_page(width, locale=BROWSER_LOCALE[language])
    sign_in(page, live_server, customer)
    page.goto(f"{live_server.url}/assistant/")
    ask(page, PERSON[language])
    case_link = page.locator("#assistant-log a[href*='/cases/']")
    expect(case_link).to_be_visible(timeout=FIRST_ANSWER_MS)
    reference = case_link.get_attribute("href").rstrip("/").rsplit("/", 1)[-1]

    staff = new_page("desktop")
    staff.goto(f"{live_server.url}/staff/signin")
    staff.get_by_label("Work e-mail").fill(agent.email)
    staff.get_by_label("Password").fill(PASSWORD)
    staff.get_by_role("button", name="Sign in").click()
    staff.goto(f"{live_server.url}/agent/cases/{reference}")
    transcript = staff.locator(".assistant-transcript")
    expect(transcript).to_contain_text(PERSON[language])
    screenshot(staff, f"assistant-transcript-{language}")
