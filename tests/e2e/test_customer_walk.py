"""Every customer journey walked in Chromium as a person would, in English and Chinese, at 1280 and 390 px.

Each walk ends in what the person came for; every page on the way is screenshotted (tests/e2e/screenshots/),
checked with axe-core and scanned for internal codes (tests/e2e/checks.py). One portal with the demo data
serves the whole module; each walk opens a fresh browser context.
"""

import re
import threading
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest
from playwright.sync_api import expect
from sqlalchemy import select
from werkzeug.serving import make_server

from portal import demo
from portal.auth import tokens
from portal.casework.service import random_reference
from portal.extensions import db
from portal.models import Case, Customer, Order, OrderItem, utcnow
from portal.surveys import service
from tests.cases.helpers import ITEMS, image_bytes
from tests.conftest import MailSink, _empty_all_tables, make_app
from tests.e2e.checks import check_page
from tests.orders.helpers import links_in
from tests.worker.cases import make_case
from worker import runtime
from worker.surveys import send_invitation

# Kept after the run for a person to look through (git ignores the folder).
SCREENSHOTS = Path(__file__).parent / "screenshots" / "customer-walk"
WIDTHS = {"1280": {"width": 1280, "height": 900}, "390": {"width": 390, "height": 844}}
# The browser's language, and the demo customer who reads the portal in it.
LANGUAGES = {"en": ("en-US", "alice@example.com"), "zh": ("zh-CN", "wei@example.com")}
WALKS = [pytest.param(lang, width, id=f"{lang}-{width}") for lang in LANGUAGES for width in WIDTHS]
PHOTO = {"name": "damage.jpg", "mimeType": "image/jpeg", "buffer": image_bytes()}


@pytest.fixture(scope="module")
def portal(_schema, test_environ, tmp_path_factory, browser):
    base = tmp_path_factory.mktemp("walk")
    environ = dict(test_environ, MAIL_URL=f"file://{base / 'mail'}", SEARCH_INDEX_DIR=str(base / "search"),
                   UPLOAD_DIR=str(base / "uploads"))
    app = make_app(environ, WTF_CSRF_ENABLED=True, SESSION_COOKIE_SECURE=False)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with app.app_context():
        demo.seed_demo()
        from portal.help import search
        search.rebuild(app)
        server = make_server("127.0.0.1", 0, app, threaded=True)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        app.config["PUBLIC_BASE_URL"] = f"http://127.0.0.1:{server.server_port}"
        yield SimpleNamespace(app=app, url=app.config["PUBLIC_BASE_URL"], mail=MailSink(base / "mail"),
                              screens=SCREENSHOTS)
        server.shutdown()
        thread.join(timeout=5)
        db.session.remove()
        _empty_all_tables()
        db.engine.dispose()


class Walk:
    """One person's browser tab, in one language and width; `check` screenshots and checks the page."""

    def __init__(self, portal, browser, lang, width):
        self.portal, self.lang, self.width = portal, lang, width
        locale, email = LANGUAGES[lang]
        self.context = browser.new_context(viewport=WIDTHS[width], locale=locale)
        self.context.set_default_timeout(10_000)
        self.page = self.context.new_page()
        # A refused inline style or script, a missing file: the browser says so on its console.
        self.console_errors = []
        self.page.on("console", self._console)
        self.customer = db.session.scalar(select(Customer).where(Customer.email == email))

    def _console(self, message):
        # A form answered 400 on purpose is logged as a failed resource; that is the walk, not a fault.
        if message.type == "error" and "status of 4" not in message.text:
            self.console_errors.append(f"{self.page.url}: {message.text}")

    def go(self, path):
        self.page.goto(self.portal.url + path)

    def check(self, name):
        """The page's own console errors first (axe-core, injected after, makes some of its own)."""
        assert not self.console_errors, "\n".join(self.console_errors)
        check_page(self.page, f"{name}-{self.lang}-{self.width}", self.portal.screens)
        self.console_errors.clear()

    def sign_in(self):
        """Follow a sign-in link, as from the e-mail (the e-mail itself is the sign-in walk's own test)."""
        raw = tokens.issue(self.customer.id, "signin", self.portal.app.config["SIGNIN_LINK_LIFETIME"])
        db.session.commit()
        self.go(f"/signin/{raw}")
        self.page.locator("main form button[type=submit]").click()
        self.page.wait_for_load_state()

    def mailed_links(self, marker):
        """The links holding `marker` in the newest e-mail to this person that has any."""
        runtime.run(self.portal.app, burst=True)
        for message in reversed(self.portal.mail.to(self.customer.email)):
            links = [url for url in links_in(message) if marker in url]
            if links:
                return links
        return []


@pytest.fixture
def walk(portal, browser, request):
    lang, width = request.node.callspec.params["lang"], request.node.callspec.params["width"]
    walk = Walk(portal, browser, lang, width)
    yield walk
    walk.context.close()


def delivered_order(customer):
    now = utcnow()
    order = Order(number=f"W{Order.query.count() + 1:05d}", customer=customer, status="delivered",
                  placed_at=now - timedelta(days=6), ship_by=now - timedelta(days=5),
                  delivered_at=now - timedelta(days=2), shipping_name=customer.name,
                  shipping_address="1 Test Street, Springfield", shipping_phone="+1 555 0100")
    for item in ITEMS:
        order.items.append(OrderItem(**item))
    order.total_cents = sum(item["price_cents"] * item.get("qty", 1) for item in ITEMS)
    db.session.add(order)
    db.session.commit()
    return order


@pytest.mark.parametrize(("lang", "width"), WALKS)
def test_help_search_finds_an_article_and_the_vote_is_thanked(walk, lang, width):
    page = walk.page
    walk.go("/help")
    walk.check("help")
    page.locator("#help-q").fill({"en": "return a parcel", "zh": "退货"}[lang])
    page.locator("#help-q").press("Enter")
    expect(page.locator(".results .result-title").first).to_be_visible()
    walk.check("help-results")

    page.locator(".results .result-title").first.click()
    expect(page.locator("main h1")).to_be_visible()
    walk.check("help-article")
    page.locator("button[name=helpful][value=no]").click()
    expect(page.locator(".feedback-thanks")).to_be_visible()
    walk.check("help-voted")


@pytest.mark.parametrize(("lang", "width"), WALKS)
def test_a_guest_tracks_an_order_by_number_and_e_mail(walk, lang, width):
    order = db.session.scalar(select(Order).where(Order.customer_id == walk.customer.id)
                              .where(Order.status == "in_transit").limit(1)) \
        or db.session.scalar(select(Order).where(Order.customer_id == walk.customer.id).limit(1))
    page = walk.page
    walk.go("/orders/track")
    walk.check("track")
    page.locator("#track-number").fill(order.number)
    page.locator("#track-email").fill(walk.customer.email)
    page.locator("main form.track-form button[type=submit]").click()

    expect(page).to_have_url(re.compile(rf"/orders/{order.number}$"))
    expect(page.locator("main h1")).to_contain_text(order.number)
    walk.check("track-order")


@pytest.mark.parametrize(("lang", "width"), WALKS)
def test_signing_in_by_following_the_delivered_link(walk, lang, width):
    page = walk.page
    walk.go("/signin")
    walk.check("signin")
    page.locator("#signin-email").fill(walk.customer.email)
    page.locator("main form button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/signin/sent$"))
    walk.check("signin-sent")

    [link] = walk.mailed_links("/signin/")
    assert link.startswith(walk.portal.url)
    page.goto(link)
    walk.check("signin-confirm")
    page.locator("main form button[type=submit]").click()

    expect(page).to_have_url(re.compile(r"/account$"))
    expect(page.locator("main")).to_contain_text(walk.customer.email)
    walk.check("account")


@pytest.mark.parametrize(("lang", "width"), WALKS)
def test_a_return_with_a_photo_shows_each_mistake_in_place_and_ends_in_a_case(walk, lang, width):
    order = delivered_order(walk.customer)
    headphones = next(item for item in order.items if item.sku == "HPH-900")
    walk.sign_in()
    page = walk.page
    walk.go(f"/returns/new?order={order.number}")
    walk.check("return-1")

    page.locator("#wizard button[type=submit]").click()
    expect(page.locator("#wizard .form-errors")).to_be_focused()
    walk.check("return-1-error")
    page.locator(f"#qty-{headphones.id}").fill("1")
    page.locator("#wizard button[type=submit]").click()

    page.locator("input[name=reason][value=damaged]").check()
    page.locator("#wizard button[type=submit]").click()
    expect(page.locator("#description-error")).to_be_visible()
    walk.check("return-2-error")
    page.locator("#return-description").fill("The case arrived cracked and the left ear cup rattles.")
    page.locator("#return-photos").set_input_files([PHOTO])
    page.locator("#wizard button[type=submit]").click()

    expect(page.locator("#exchange-for")).to_be_hidden()
    expect(page.locator("#repair-slot")).to_be_hidden()
    page.locator("input[name=outcome][value=repair]").check()
    expect(page.locator("#repair-slot")).to_be_visible()
    expect(page.locator("#exchange-for")).to_be_hidden()
    walk.check("return-3")
    page.locator("#repair-slot").select_option(index=1)
    page.locator("#wizard button[type=submit]").click()
    expect(page.locator(".wizard-progress li").nth(3)).to_have_attribute("aria-current", "step")
    walk.check("return-4")
    page.locator("#wizard form button[type=submit]").click()

    expect(page).to_have_url(re.compile(r"/cases/C-[0-9A-Z]{8}$"))
    expect(page.locator("main img").first).to_be_visible()
    walk.check("return-case")


@pytest.mark.parametrize(("lang", "width"), WALKS)
def test_a_complaint_with_a_photo_ends_in_a_case(walk, lang, width):
    walk.sign_in()
    page = walk.page
    walk.go("/complaints/new")
    walk.check("complaint")
    page.locator("#complaint-send").click()
    expect(page.locator(".complaint-form .form-errors")).to_be_focused()
    walk.check("complaint-error")

    page.locator("#description").fill({"en": "The kettle arrived with a cracked lid and leaks hot water.",
                                        "zh": "水壶到货时盖子裂了，会漏热水。"}[lang])
    page.locator("#category").select_option("damaged_or_unsafe")
    page.locator("#order").select_option(index=1)
    page.locator("#desired_outcome").select_option("replacement")
    page.locator("#photos").set_input_files([PHOTO])
    page.locator("#complaint-send").click()

    expect(page).to_have_url(re.compile(r"/cases/C-[0-9A-Z]{8}$"))
    expect(page.locator("main img").first).to_be_visible()
    walk.check("complaint-case")


@pytest.mark.parametrize(("lang", "width"), WALKS)
def test_a_case_reply_shows_an_empty_message_in_place_then_the_sent_one(walk, lang, width):
    case = make_case(walk.customer, status="answered", kind="complaint", category="damaged",
                     reference=random_reference("C"))
    walk.sign_in()
    page = walk.page
    walk.go(f"/cases/{case.reference}")
    walk.check("case")

    page.locator("#conversation form button[type=submit]").click()
    expect(page.locator("#conversation .form-errors")).to_be_focused()
    expect(page.locator("#conversation .form-errors a")).to_have_attribute("href", "#reply-body")
    walk.check("case-reply-error")
    page.locator("#reply-body").fill({"en": "Here is the photo you asked for.", "zh": "这是您要的照片。"}[lang])
    page.locator("#conversation form button[type=submit]").click()

    expect(page.locator("#conversation .message-customer").last).to_contain_text(
        {"en": "Here is the photo", "zh": "这是您要的照片"}[lang])
    walk.check("case-replied")


def rating(case):
    db.session.expire_all()
    return service.survey_for(db.session.get(Case, case.id)).answer.score


@pytest.mark.parametrize(("lang", "width"), WALKS)
def test_a_rating_clicked_in_the_survey_e_mail_is_saved_and_can_be_changed(walk, lang, width):
    case = make_case(walk.customer, status="resolved", kind="complaint", category="damaged",
                     reference=random_reference("C"))
    # The same person walks this in four languages and widths: the survey cool-down would skip the rest.
    walk.portal.app.config["SURVEY_COOLDOWN"] = timedelta(0)
    assert send_invitation(case.id).startswith("<")
    db.session.commit()
    [four] = [link for link in walk.mailed_links("/survey/") if link.endswith("score=4")]
    page = walk.page

    page.goto(four)

    expect(page.locator(f"#survey-{case.id} .notice-success")).to_be_visible()
    assert rating(case) == 4
    walk.check("survey-saved")
    page.locator(f"#survey-{case.id} input[name=score][value='5']").check()
    with page.expect_response(lambda answer: answer.request.method == "POST"):
        page.locator(f"#survey-{case.id} form button[type=submit]").first.click()
    expect(page.locator(f"#survey-{case.id} .notice-success")).to_be_visible()
    assert rating(case) == 5
    assert db.session.get(Case, case.id).reference in page.locator("main").inner_text()


@pytest.mark.parametrize(("lang", "width"), [pytest.param(lang, "390", id=f"{lang}-390") for lang in LANGUAGES])
def test_on_a_phone_the_header_is_short_and_the_help_center_has_one_search_box(walk, lang, width):
    walk.go("/help")

    header = walk.page.locator(".site-header").bounding_box()
    assert header["height"] <= 200
    assert walk.page.locator("input[type=search]:visible").count() == 1


@pytest.mark.parametrize(("lang", "width"), WALKS)
def test_an_order_past_its_estimate_says_so_and_offers_a_real_button(walk, lang, width):
    order = delivered_order(walk.customer)
    order.status, order.delivered_at = "in_transit", None
    order.estimated_delivery = (utcnow() - timedelta(days=3)).date()
    order.last_event_at = utcnow() - timedelta(hours=2)
    db.session.commit()
    walk.sign_in()

    walk.go(f"/orders/{order.number}")

    expect(walk.page.locator(".order-overdue")).to_be_visible()
    report = walk.page.locator(f".order-actions a[href*='/complaints/new?order={order.number}']")
    assert report.bounding_box()["height"] >= 40
    assert report.evaluate("element => getComputedStyle(element).borderTopStyle") == "solid"
    walk.check("order-overdue")
