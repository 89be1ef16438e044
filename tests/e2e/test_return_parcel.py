"""Browser walk of a customer's return page through every stage of the parcel's way back, in both languages:
label ready, "I've sent it", on its way back, received (refund requested), refund issued."""

import pytest
from playwright.sync_api import expect

from portal.extensions import db
from portal.models import ReturnDraft
from portal.returns import service as returns
from tests.cases.helpers import delivered_order, item_named
from tests.e2e.checks import check_page
from tests.e2e.test_cases_journeys import sign_in
from tests.returns.helpers import post_shop_event, shop_event

WORDS = {
    "en": {"label": "Label ready — drop off by", "sent": "I've sent it", "send": "Send the tracking number",
           "waiting": "Sent: we are waiting for the carrier's first scan", "travel": "On its way back",
           "received": "Received", "requested": "Refund of $19.00: requested", "issued": "Refund issued: $19.00",
           "tracking": "Carrier's tracking number"},
    "zh": {"label": "标签已就绪 — 请于", "sent": "我已寄出", "send": "提交运单号",
           "waiting": "已寄出：正在等待承运商首次扫描", "travel": "正在寄回途中", "received": "已收到",
           "requested": "退款 US$19.00：已申请", "issued": "退款已发放：US$19.00", "tracking": "承运商运单号"},
}
BROWSER_LOCALE = {"en": "en-US", "zh": "zh-CN"}


def approved_return(app, customer, order):
    """A return approved by the policy, as the wizard's last step leaves it."""
    tshirt = item_named(order, "TSH-001")
    draft = ReturnDraft(customer_id=customer.id, order_id=order.id,
                        data={"items": {str(tshirt.id): 1}, "reason": "no_reason", "description": "",
                              "opened": None, "photos": [], "outcome": "refund", "exchange_for": "",
                              "repair_slot": "", "done": [1, 2, 3]})
    db.session.add(draft)
    db.session.flush()
    with app.test_request_context():  # the review's reasons are read in a language
        case = returns.submit(customer, order, draft)
    db.session.commit()
    return case


@pytest.mark.parametrize("language", ["en", "zh"])
def test_the_return_page_follows_the_parcel_to_the_refund(live_server, new_page, make_order, customer,
                                                           screenshots, language):
    customer.locale = language
    db.session.commit()
    words = WORDS[language]
    case = approved_return(live_server.app, customer, delivered_order(make_order, customer))
    shop = live_server.app.test_client()
    page = new_page(locale=BROWSER_LOCALE[language])
    sign_in(page, live_server, customer)
    stage = page.locator(".return-stage")

    page.goto(f"{live_server.url}/cases/{case.reference}")
    expect(stage).to_contain_text(words["label"])
    expect(page.locator("#return")).to_contain_text(words["requested"])
    check_page(page, f"return-{language}-label-ready", screenshots)

    page.get_by_label(words["tracking"]).fill("JD014600003")
    page.get_by_role("button", name=words["send"]).click()
    expect(stage).to_have_text(words["waiting"])
    expect(page.locator("#return")).to_contain_text("JD014600003")
    check_page(page, f"return-{language}-sent", screenshots)

    post_shop_event(shop, shop_event("return.in_transit", case.return_label))
    page.reload()
    expect(stage).to_have_text(words["travel"])

    post_shop_event(shop, shop_event("return.received", case.return_label))
    page.reload()
    expect(stage).to_have_text(words["received"])
    expect(page.locator("#return")).to_contain_text(words["requested"])
    check_page(page, f"return-{language}-received", screenshots)

    post_shop_event(shop, shop_event("refund.issued", case.return_label, amount_cents=1900, currency="USD",
                                     method="original"))
    page.reload()
    expect(stage).to_have_text(words["issued"])
    check_page(page, f"return-{language}-refunded", screenshots)


def test_an_agent_sees_a_refused_event_and_receives_the_parcel_by_hand(live_server, new_page, make_order, customer,
                                                                       make_staff, screenshots):
    from tests.e2e.test_staff_workspace import _staff_sign_in

    case = approved_return(live_server.app, customer, delivered_order(make_order, customer))
    post_shop_event(live_server.app.test_client(), shop_event("refund.issued", case.return_label, amount_cents=1900,
                                                              currency="USD", method="original"))
    page = new_page()
    _staff_sign_in(page, live_server.url, make_staff(email="agent@example.com"))

    page.goto(f"{live_server.url}/agent")
    expect(page.get_by_role("heading", name="Shop events we refused (last 7 days)")).to_be_visible()
    check_page(page, "return-agent-queue-refused", screenshots)

    page.get_by_role("link", name=case.reference).first.click()
    panel = page.locator("section", has=page.get_by_role("heading", name="Return parcel"))
    expect(panel).to_contain_text("Not applied: it came before the step it follows")
    expect(panel.get_by_role("link", name="Return label (PDF)")).to_be_visible()
    check_page(page, "return-agent-workspace", screenshots)

    panel.get_by_label("What arrived (for the timeline, optional)").fill("Box intact")
    panel.get_by_role("button", name="Mark the parcel received").click()
    expect(page.get_by_text("The parcel is marked received; the customer is told.")).to_be_visible()
    expect(page.locator(".case-head .badge").first).to_have_text("Parcel received")
    check_page(page, "return-agent-received", screenshots)
