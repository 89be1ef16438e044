"""Issue 21: the staff journeys as a person walks them, in English and Chinese, at 1280 and 390 px.

An agent takes a return from the queue, sees the customer's photo, answers with a canned reply, leaves a
note, approves and resolves it; a lead reads the dashboard, downloads a CSV and edits an article from what readers
said. Every page passes axe-core (no serious or critical violation) and shows no internal code; the
screenshots are in pytest's tmp dir. One server and one set of data serve the whole module.
"""

import io
from datetime import timedelta

import pytest
from PIL import Image
from werkzeug.datastructures import FileStorage

from portal.casework import photos
from portal.extensions import db
from portal.models import Article, ArticleFeedback, Callback, CannedReply, CaseAttachment, Staff, utcnow
from tests.agent.helpers import make_case
from tests.e2e.checks import check_page, page_scroll_width, sideways_overflow

PASSWORD = "correct horse battery"
WALKS = [("en", "desktop"), ("zh", "desktop"), ("en", "mobile"), ("zh", "mobile")]
BROWSER_LOCALES = {"en": "en-US", "zh": "zh-CN"}


def _photo(case):
    image = io.BytesIO()
    Image.new("RGB", (120, 90), (180, 40, 40)).save(image, format="JPEG")
    image.seek(0)
    stored = photos.store(FileStorage(image, filename="broken.jpg", content_type="image/jpeg"))
    db.session.add(CaseAttachment(case_id=case.id, stored_name=stored.name, content_type=stored.content_type,
                                  size_bytes=stored.size_bytes))


@pytest.fixture(scope="module")
def world(module_server):
    """Staff, one return per walk (each walk resolves its own), canned replies, a month of cases and an
    article readers voted No on."""
    from portal.models import Customer, Order

    agent = Staff(email="agent@shop.test", name="Amy Agent", role="agent")
    lead = Staff(email="lead@shop.test", name="Lee Lead", role="lead")
    for staff in (agent, lead):
        staff.set_password(PASSWORD)
    db.session.add_all([agent, lead])
    customer = Customer(email="walk@example.com", name="Wendy Walker", locale="en", timezone="America/New_York")
    db.session.add(customer)
    db.session.flush()
    order = Order(number="W-1001", customer_id=customer.id, status="delivered", total_cents=4990,
                  placed_at=utcnow() - timedelta(days=12))
    db.session.add(order)
    db.session.flush()
    returns = {}
    for n, walk in enumerate(WALKS):
        case = make_case(customer, order, kind="return", category="damaged", status="needs_review",
                         desired_outcome="refund", priority=n + 1, urgency="medium",
                         description="The teapot arrived with a cracked spout.")
        _photo(case)
        returns[walk] = case.reference
    for category, days_ago in [("late_or_lost", 3), ("wrong_item", 5), ("no_reason", 8), ("double_charge", 40)]:
        make_case(customer, kind="complaint", category=category, status="resolved", escalated=False,
                  created_at=utcnow() - timedelta(days=days_ago), resolved_at=utcnow() - timedelta(days=days_ago))
    db.session.add_all([
        CannedReply(title="Sorry about the damage", locale="en", empathy=True,
                    body="Hi {first_name}, I am sorry the item from order {order_number} arrived damaged."),
        CannedReply(title="Sorry about the damage", locale="zh", empathy=True,
                    body="{first_name}您好，订单 {order_number} 的商品损坏，非常抱歉。"),
    ])
    article = Article(slug="damaged-items", locale="en", title="What to do with a damaged item",
                      body="Take a photo and start a return.", category="returns-exchanges",
                      helpful_count=2, unhelpful_count=3, view_count=12)
    db.session.add(article)
    db.session.flush()
    db.session.add(ArticleFeedback(article_id=article.id, visitor_id="v1", helpful=False,
                                   comment="It does not say who pays for the return postage"))
    db.session.commit()
    return {"agent": agent.email, "lead": lead.email, "returns": returns, "article_id": article.id}


def _check(page, name, screenshots):
    """axe, internal codes and a screenshot; and nothing sticks out sideways, at either width."""
    check_page(page, name, screenshots)
    assert sideways_overflow(page) == [], f"{name}: parts of the page stick out past its right edge"
    assert page_scroll_width(page) <= page.viewport_size["width"], f"{name}: the page scrolls sideways"


def _sign_in(page, base, email, language):
    page.goto(f"{base}/staff/signin")
    assert page.locator("html").get_attribute("lang").startswith(language)
    page.fill("#staff-email", email)
    page.fill("#staff-password", PASSWORD)
    page.locator("main button[type=submit]").click()


@pytest.mark.parametrize("language, width", WALKS)
def test_an_agent_answers_approves_and_resolves_a_return(module_server, world, new_page, screenshots, language,
                                                         width):
    base, reference = module_server.url, world["returns"][(language, width)]
    name = f"agent-{language}-{width}"
    page = new_page(width, BROWSER_LOCALES[language])
    _sign_in(page, base, world["agent"], language)
    page.wait_for_url(f"{base}/agent")
    assert page.locator(f"a[href='/agent/cases/{reference}'], :text('{reference}')").count() > 0
    _check(page, f"{name}-1-queue", screenshots)

    page.goto(f"{base}/agent/cases/{reference}")
    photo = page.locator(".case-photos img").first
    photo.scroll_into_view_if_needed()
    assert photo.is_visible()
    assert photo.evaluate("img => img.complete && img.naturalWidth > 0"), "the customer's photo loads"
    _check(page, f"{name}-2-workspace", screenshots)

    page.select_option("#canned", index=0)
    page.locator("#reply-form button[formmethod=get]").click()
    page.wait_for_function("() => document.querySelector('#reply-body').value.includes('W-1001')")
    page.locator("#reply-form > button[type=submit]").click()
    page.wait_for_load_state()
    assert page.locator(".msg-agent").count() >= 1
    _check(page, f"{name}-3-replied", screenshots)

    page.fill("#note-body", "Checked the photo: the spout is cracked.")
    page.locator("form[action$='/note'] button[type=submit]").click()
    page.wait_for_load_state()
    assert page.locator(".msg-internal").count() == 1

    page.select_option("#decision", "approve")
    page.locator("form[action$='/return-decision'] button[type=submit]").click()
    page.wait_for_load_state()
    page.select_option("#resolution-type", "refund")
    page.fill("#resolution-amount", "49.90")
    page.fill("#resolution-note", "Refunded in full; no need to send the teapot back.")
    page.locator("form[action$='/resolve'] button[type=submit]").click()
    page.wait_for_selector(".resolved-note")
    assert page.locator("#reply-form").count() == 0 and page.locator("form[action$='/resolve']").count() == 0
    _check(page, f"{name}-4-resolved", screenshots)

    page.locator(".case-head a[href^='/agent/orders/']").click()
    page.wait_for_url(f"{base}/agent/orders/W-1001")
    assert reference in page.inner_text("main")
    _check(page, f"{name}-5-order", screenshots)


@pytest.mark.parametrize("language, width", WALKS)
def test_a_lead_reads_the_dashboard_downloads_a_csv_and_fixes_an_article(module_server, world, new_page,
                                                                         screenshots, language, width):
    base = module_server.url
    name = f"lead-{language}-{width}"
    page = new_page(width, BROWSER_LOCALES[language])
    _sign_in(page, base, world["lead"], language)
    page.wait_for_url(f"{base}/lead")
    _check(page, f"{name}-1-dashboard", screenshots)
    if width == "desktop":
        cut_off = page.evaluate("""() => [...document.querySelectorAll('.table-wrap')]
            .filter(wrap => wrap.scrollWidth > wrap.clientWidth + 1).map(wrap => wrap.getAttribute('aria-label'))""")
        assert cut_off == [], f"tables cut off at 1280 px: {cut_off}"
    unhelpful = page.locator("#table-unhelpful_articles")
    assert "It does not say who pays for the return postage" in unhelpful.inner_text()

    with page.expect_download() as download:
        page.locator("a.csv-link[href*='/lead/export/top_categories.csv']").click()
    assert download.value.suggested_filename.startswith("top_categories_")

    page.goto(f"{base}/lead/knowledge")
    _check(page, f"{name}-2-knowledge", screenshots)
    unhelpful_link = f"a[href='/lead/articles/{world['article_id']}']"
    page.locator(unhelpful_link).first.click()
    page.wait_for_selector("#feedback-title")
    assert "It does not say who pays for the return postage" in page.inner_text(".feedback")
    _check(page, f"{name}-3-editor", screenshots)

    body = page.locator("#a-body")
    body.fill(body.input_value() + "\n\nWe pay the return postage for damaged items.")
    page.locator("form.card button[type=submit]:not([name=preview])").click()
    page.wait_for_selector(".staff-flashes")
    assert "We pay the return postage" in page.locator("#a-body").input_value()
    _check(page, f"{name}-4-saved", screenshots)


def test_no_staff_table_makes_the_page_scroll_sideways_on_a_phone(module_server, world, new_page, screenshots):
    """A table scrolls inside its own box at 390 px; the hidden words in its cells ("Take C-…") stay in it."""
    from portal.models import Customer

    # A case nobody took (the walks above resolve theirs) and a call to make: the queue and callbacks tables.
    customer = db.session.scalar(db.select(Customer).where(Customer.email == "walk@example.com"))
    case = make_case(customer, category="late_or_lost", description="Where is my parcel?")
    db.session.add(Callback(case_id=case.id, customer_id=customer.id, reason="Rated the service 2",
                            phone="+1 555 0100", due_at=utcnow() - timedelta(minutes=5)))
    db.session.commit()
    base = module_server.url
    page = new_page("mobile")
    _sign_in(page, base, world["lead"], "en")
    page.wait_for_url(f"{base}/lead")
    for path in ("/agent", "/agent/callbacks", "/lead", "/lead/knowledge", "/staff/sessions"):
        page.goto(f"{base}{path}")
        assert page.locator("table").count() > 0, path
        page.screenshot(path=str(screenshots / f"staff-390{path.replace('/', '-')}.png"), full_page=True)
        assert page_scroll_width(page) <= 390, f"{path} is {page_scroll_width(page)} px wide at 390 px"
