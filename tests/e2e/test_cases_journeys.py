"""Browser tests of the cases journeys: returns in four steps, a photo claim, an angry complaint, access."""

import re

import pytest
from playwright.sync_api import expect

from portal.auth import tokens
from portal.extensions import db
from tests.cases.helpers import delivered_order, image_bytes, item_named
from tests.e2e.checks import check_page


def sign_in(page, live_server, customer):
    """Follow a sign-in link, as from the e-mail: the confirm page, then its button."""
    with live_server.app.app_context():
        raw = tokens.issue(customer.id, "signin", live_server.app.config["SIGNIN_LINK_LIFETIME"])
        db.session.commit()
    page.goto(f"{live_server.url}/signin/{raw}")
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state()


def walk_return(page, live_server, order, item, qty, reason, outcome, description=None, photo=None, send=True):
    """The return wizard from step 1 to sending (or to step 4 with `send=False`), as a customer clicks it."""
    page.goto(f"{live_server.url}/returns/new?order={order.number}")
    page.locator(f"#qty-{item.id}").fill(str(qty))
    page.get_by_role("button", name="Next").click()
    page.get_by_label(reason).check()
    if description:
        page.locator("#return-description").fill(description)
    if photo:
        page.locator("#return-photos").set_input_files([photo])
    page.get_by_role("button", name="Next").click()
    page.get_by_label(outcome).check()
    page.get_by_role("button", name="Next").click()
    expect(page.get_by_role("heading", name="Step 4 of 4: Check and send")).to_be_visible()
    if send:
        page.get_by_role("button", name="Send my request").click()
        expect(page).to_have_url(re.compile(r"/cases/C-[0-9A-Z]{8}$"))


def test_a_no_reason_return_is_approved_in_four_steps(live_server, page, make_order, customer, screenshots):
    order = delivered_order(make_order, customer)
    sign_in(page, live_server, customer)

    walk_return(page, live_server, order, item_named(order, "TSH-001"), 1, "I changed my mind",
                "Store credit (faster)", send=False)
    expect(page.get_by_text("approved as soon as you send it")).to_be_visible()
    check_page(page, "cases-return-step4", screenshots)
    page.get_by_role("button", name="Send my request").click()

    expect(page).to_have_url(re.compile(r"/cases/C-[0-9A-Z]{8}$"))
    expect(page.get_by_text("Your return is approved. Your return reference is R-").first).to_be_visible()
    check_page(page, "cases-return-approved", screenshots)


def test_back_returns_to_the_previous_step_with_the_choice_kept(live_server, page, make_order, customer):
    order = delivered_order(make_order, customer)
    tshirt = item_named(order, "TSH-001")
    sign_in(page, live_server, customer)
    page.goto(f"{live_server.url}/returns/new?order={order.number}")
    page.locator(f"#qty-{tshirt.id}").fill("2")
    page.get_by_role("button", name="Next").click()
    expect(page.get_by_role("heading", name="Step 2 of 4: What is wrong?")).to_be_visible()

    page.get_by_role("link", name="Back").click()

    expect(page.get_by_role("heading", name="Step 1 of 4: Which items?")).to_be_visible()
    expect(page.locator(f"#qty-{tshirt.id}")).to_have_value("2")


def test_a_quality_return_with_a_photo_is_under_review(live_server, page, make_order, customer, screenshots):
    order = delivered_order(make_order, customer)
    sign_in(page, live_server, customer)

    walk_return(page, live_server, order, item_named(order, "HPH-900"), 1, "Faulty or poor quality",
                "A refund to my original payment method", description="The left ear cup crackles at any volume.",
                photo={"name": "ear.jpg", "mimeType": "image/jpeg", "buffer": image_bytes()})

    expect(page.locator(".case-header .badge")).to_have_text("Under review")
    expect(page.get_by_role("img", name="Photo 1")).to_be_visible()
    check_page(page, "cases-quality-under-review", screenshots)


def test_an_angry_complaint_is_escalated_and_agents_see_its_reasons(live_server, page, new_page, customer, agent,
                                                                    screenshots):
    sign_in(page, live_server, customer)
    page.goto(f"{live_server.url}/complaints/new")

    page.get_by_label("What happened?").fill("This is UNACCEPTABLE!!! My coupon failed for the THIRD TIME.")
    page.get_by_label("What is it about?").select_option("coupon")
    page.get_by_label("What would put it right?").select_option("explanation")
    page.get_by_role("button", name="Send my complaint").click()

    expect(page).to_have_url(re.compile(r"/cases/C-[0-9A-Z]{8}$"))
    expect(page.locator(".case-header .badge")).to_have_text("With a person")
    reference = page.url.rsplit("/", 1)[1]
    check_page(page, "cases-angry-complaint", screenshots)

    staff = new_page()
    staff.goto(f"{live_server.url}/staff/signin")
    staff.get_by_label("Work e-mail").fill(agent.email)
    staff.get_by_label("Password").fill("correct horse battery")
    staff.get_by_role("button", name="Sign in").click()
    staff.goto(f"{live_server.url}/agent/cases/{reference}")
    expect(staff.get_by_text("strong words").first).to_be_visible()
    expect(staff.get_by_text("writes in capitals").first).to_be_visible()


def test_a_customer_cannot_open_another_customers_case_or_photo(live_server, page, make_order, make_customer,
                                                               customer):
    owner = make_customer()
    order = delivered_order(make_order, owner)
    owner_page = page
    sign_in(owner_page, live_server, owner)
    walk_return(owner_page, live_server, order, item_named(order, "HPH-900"), 1, "Arrived damaged",
                "A refund to my original payment method", description="The case is cracked in two.",
                photo={"name": "crack.png", "mimeType": "image/png", "buffer": image_bytes("PNG")})
    case_url = owner_page.url
    photo_url = owner_page.get_by_role("img", name="Photo 1").get_attribute("src")

    owner_page.context.clear_cookies()
    sign_in(owner_page, live_server, customer)

    assert owner_page.goto(case_url).status == 404
    assert owner_page.goto(f"{live_server.url}{photo_url}").status == 404


@pytest.mark.parametrize("width", ["mobile"])
def test_the_wizard_works_on_a_phone_in_chinese(live_server, new_page, make_order, make_customer, width,
                                                screenshots):
    chinese = make_customer(locale="zh")
    order = delivered_order(make_order, chinese)
    tshirt = item_named(order, "TSH-001")
    page = new_page(width, locale="zh-CN")
    sign_in(page, live_server, chinese)

    response = page.goto(f"{live_server.url}/returns/new?order={order.number}")

    assert response.status == 200
    expect(page.locator("html")).to_have_attribute("lang", re.compile(r"^zh"))
    expect(page.get_by_role("heading", name="第 1 步（共 4 步）：哪些商品？")).to_be_visible()
    check_page(page, "cases-wizard-zh-mobile", screenshots)
    page.locator(f"#qty-{tshirt.id}").fill("1")
    page.get_by_role("button", name="下一步").click()
    expect(page.get_by_role("heading", name="第 2 步（共 4 步）：出了什么问题？")).to_be_visible()
    check_page(page, "cases-wizard-zh-mobile-step2", screenshots)


def test_the_complaint_form_offers_self_service_and_articles_as_the_customer_types(app, db, live_server, page,
                                                                                  customer, screenshots):
    from portal.help import defaults, search
    from portal.help.importer import article_files, import_files
    from tests.conftest import FAQ_CORPUS_DIR
    from tests.e2e.checks import check_page

    import_files(article_files(FAQ_CORPUS_DIR))
    defaults.seed_defaults()
    db.session.commit()
    search.clear_caches()
    search.rebuild(app)
    sign_in(page, live_server, customer)
    page.goto(f"{live_server.url}/complaints/new")

    page.get_by_label("What happened?").press_sequentially("the tracking has not moved for a week", delay=30)

    suggestions = page.locator("#suggestions")
    cards = suggestions.get_by_role("list", name="Do it yourself")
    expect(cards.get_by_role("link", name="Track your order")).to_be_visible()
    expect(suggestions.get_by_role("button", name="This solved it").first).to_be_visible()
    assert suggestions.get_attribute("aria-live") == "polite"
    expect(cards.get_by_role("link", name="File a complaint")).to_have_count(0)
    check_page(page, "complaint-form-intent-cards", screenshots)


def test_an_empty_complaint_sent_from_the_keyboard_focuses_the_summary_that_links_to_each_field(live_server, page,
                                                                                                 customer):
    sign_in(page, live_server, customer)
    page.goto(f"{live_server.url}/complaints/new")
    send = page.get_by_role("button", name="Send my complaint")
    for _tab in range(60):  # the form's last control: well within 60 stops
        page.keyboard.press("Tab")
        if send.evaluate("button => button === document.activeElement"):
            break
    expect(send).to_be_focused()

    page.keyboard.press("Enter")

    summary = page.get_by_role("alert").filter(has_text="Please correct these:")
    expect(summary).to_be_focused()
    links = summary.get_by_role("link")
    expect(links.first).to_have_attribute("href", "#description")
    targets = links.evaluate_all("links => links.map(link => !!document.querySelector(link.getAttribute('href')))")
    assert len(targets) >= 3 and all(targets)
    page.keyboard.press("Tab")
    expect(links.first).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.get_by_label("What happened?")).to_be_focused()
