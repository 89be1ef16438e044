"""Browser: an admin adds a shop endpoint and copies its secret, reads the delivery log and sends a failed
delivery again, in English and Chinese. Every page passes axe-core and shows no internal code."""

import pyotp
import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.models import OutboxRow, ShopDelivery, ShopEndpoint, utcnow
from portal.orders import service as orders
from tests.e2e.checks import check_page

PASSWORD = "correct horse battery"
# A public address written as an IP: saving an endpoint checks where its host leads, and the tests have no DNS.
ADDRESS = "https://93.184.216.34/hooks"
WORDS = {
    "en": {"nav": "Webhooks to the shop", "address": "Address (URL)", "event": "Return approved",
           "add": "Add the endpoint", "secret": "Signing secret", "resend": "Send again",
           "queued": "queued to be sent again"},
    "zh": {"nav": "发给商家的 Webhook", "address": "地址（URL）", "event": "退货已批准", "add": "添加该接收地址",
           "secret": "签名密钥", "resend": "重新发送", "queued": "已排队等待重新发送"},
}


@pytest.mark.parametrize("language", ["en", "zh"])
def test_an_admin_adds_an_endpoint_and_resends_a_failed_delivery(live_server, new_page, screenshots, make_staff,
                                                                  make_order, customer, language):
    base, words = live_server.url, WORDS[language]
    secret = pyotp.random_base32(32)
    admin = make_staff("admin", totp_secret=secret)
    failing = ShopEndpoint(url="https://shop.example.com/failing", secret="whsec_old",
                           event_types=["order.cancel_requested"], active=True)
    db.session.add(failing)
    db.session.commit()
    orders.cancel(make_order(customer=customer, status="paid"), utcnow())
    delivery = db.session.scalar(select(ShopDelivery))
    delivery.attempts, delivery.last_status_code, delivery.last_error = 9, 503, "HTTP 503: down for maintenance"
    db.session.execute(OutboxRow.__table__.update().where(OutboxRow.job_name == "shop.deliver")
                       .values(status="failed"))
    db.session.commit()
    page = new_page("desktop", "zh-CN" if language == "zh" else "en-US")

    page.goto(f"{base}/staff/signin")
    page.fill("#staff-email", admin.email)
    page.fill("#staff-password", PASSWORD)
    page.locator("main button[type=submit]").click()
    page.fill("#staff-code", pyotp.TOTP(secret).now())
    page.locator("main button[type=submit]").click()
    page.goto(f"{base}/admin/staff")
    page.get_by_role("link", name=words["nav"]).click()
    check_page(page, f"shop-endpoints-{language}", screenshots)

    page.get_by_label(words["address"]).fill(ADDRESS)
    page.get_by_label(words["event"]).check()
    page.get_by_role("button", name=words["add"]).click()
    shown = page.get_by_label(words["secret"]).input_value()
    with live_server.app.app_context():
        created = db.session.scalar(select(ShopEndpoint).where(ShopEndpoint.url == ADDRESS))
        assert shown == created.secret
    check_page(page, f"shop-endpoint-created-{language}", screenshots)

    page.goto(f"{base}/admin/shop-endpoints/{failing.id}")
    assert "HTTP 503: down for maintenance" in page.inner_text("main")
    check_page(page, f"shop-endpoint-log-{language}", screenshots)
    page.get_by_role("button", name=words["resend"]).click()
    assert words["queued"] in page.inner_text("body")
    check_page(page, f"shop-endpoint-resent-{language}", screenshots)
