"""The order page: badge, items with return eligibility, timeline, estimate, delay apology, actions."""

import json
from datetime import UTC, date, datetime, timedelta

import pytest
from flask import url_for
from sqlalchemy import select

from portal.models import OutboxRow, utcnow
from tests.orders.helpers import sign_in_as, signed_headers
from worker import runtime


@pytest.fixture
def wei(make_customer):
    return make_customer(name="陈伟", email="wei@example.com", timezone="Asia/Shanghai", locale="en")


def test_the_page_shows_status_items_estimate_and_timeline_newest_first(client, make_order, wei):
    order = make_order(customer=wei, status="in_transit", estimated_delivery=date(2026, 3, 8),
                       last_event_at=utcnow() - timedelta(hours=1), events=[
                           {"status": "shipped", "location": "Shenzhen, CN", "description": "Picked up",
                            "occurred_at": datetime(2026, 3, 1, 0, 0, tzinfo=UTC)},
                           {"status": "in_transit", "location": "Hong Kong, HK", "description": "Departed hub",
                            "occurred_at": datetime(2026, 3, 2, 6, 30, tzinfo=UTC)},
                       ])
    sign_in_as(client, wei)

    page = client.get(f"/orders/{order.number}").text

    assert 'class="badge badge-in_transit"' in page
    assert "T-shirt" in page
    # The estimate has passed by the test's clock: the page says the order is late instead.
    assert "We expected to deliver it by Sunday, March 8, 2026: it is late." in page
    assert page.index("Hong Kong, HK") < page.index("Shenzhen, CN")
    # Times in the customer's zone: 00:00 UTC is 08:00 in Shanghai.
    assert "Mar 1, 2026, 8:00:00\u202fAM" in page
    assert "Times are shown in China Time (GMT+08:00)." in page
    assert 'hx-trigger="every 60s"' in page  # the timeline keeps itself fresh while the parcel moves


def test_a_delivered_order_names_the_day_in_the_customers_zone_without_a_zone_offset(client, make_order, wei):
    # 23:30 UTC on 29 March is already 30 March in Shanghai; the exact time is in the timeline.
    order = make_order(customer=wei, status="delivered", delivered_at=datetime(2026, 3, 29, 23, 30, tzinfo=UTC))
    sign_in_as(client, wei)

    english = client.get(f"/orders/{order.number}").text
    client.post("/locale", data={"locale": "zh"})
    chinese = client.get(f"/orders/{order.number}").text

    assert "Delivered on March 30, 2026." in english
    assert "已于 2026年3月30日 签收。" in chinese
    assert "+0800" not in english + chinese


def test_shop_text_in_events_is_escaped(client, make_order, wei):
    order = make_order(customer=wei, status="shipped", last_event_at=utcnow(), events=[
        {"status": "shipped", "location": "<b>Depot</b>", "description": "<script>alert(1)</script>",
         "occurred_at": utcnow()}])
    sign_in_as(client, wei)

    page = client.get(f"/orders/{order.number}").text

    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_delivered_items_show_their_return_eligibility(client, make_order, wei):
    order = make_order(customer=wei, status="delivered", delivered_at=utcnow() - timedelta(days=1))
    sign_in_as(client, wei)

    assert "Can be returned" in client.get(f"/orders/{order.number}").text


def test_items_not_yet_delivered_show_no_eligibility(client, make_order, wei):
    order = make_order(customer=wei, status="paid")
    sign_in_as(client, wei)

    assert "Can be returned" not in client.get(f"/orders/{order.number}").text


def test_an_order_past_its_ship_by_time_apologises(client, make_order, wei):
    order = make_order(customer=wei, status="paid", ship_by=utcnow() - timedelta(hours=5))
    sign_in_as(client, wei)

    page = client.get(f"/orders/{order.number}").text

    assert "Your order is late, and we are sorry" in page
    assert "has not left our warehouse yet" in page


def test_a_parcel_silent_for_72_hours_apologises(client, make_order, wei):
    order = make_order(customer=wei, status="in_transit", last_event_at=utcnow() - timedelta(hours=73))
    sign_in_as(client, wei)

    page = client.get(f"/orders/{order.number}").text

    assert "Your order is late, and we are sorry" in page
    assert "more than 72 hours" in page


def test_an_order_on_time_does_not_apologise(client, make_order, wei):
    order = make_order(customer=wei, status="in_transit", last_event_at=utcnow() - timedelta(hours=5))
    sign_in_as(client, wei)

    assert "we are sorry" not in client.get(f"/orders/{order.number}").text


def test_without_the_complaints_journey_there_is_no_complaint_link(app, client, make_order, wei):
    # has_endpoint() looks in view_functions: without these entries the journeys do not exist for the page.
    for endpoint in ("complaints.new", "returns.start"):
        app.view_functions.pop(endpoint, None)
    order = make_order(customer=wei, status="paid", ship_by=utcnow() - timedelta(hours=5))
    sign_in_as(client, wei)

    page = client.get(f"/orders/{order.number}").text

    assert "/complaints" not in page
    assert "/returns" not in page


def test_a_late_order_offers_a_one_click_complaint_classified_as_late(app, make_order, wei):
    client = app.test_client()
    order = make_order(customer=wei, status="paid", ship_by=utcnow() - timedelta(hours=5))
    sign_in_as(client, wei)

    page = client.get(f"/orders/{order.number}").text

    assert f'href="/complaints/new?order={order.number}&amp;reason=late"' in page
    assert f'href="/complaints/new?order={order.number}"' in page
    with app.test_request_context():
        start = url_for("returns.start", order=order.number)
    assert f'href="{start}"' not in page  # not delivered yet


def test_a_delivered_order_offers_a_return(app, make_order, wei):
    client = app.test_client()
    order = make_order(customer=wei, status="delivered", delivered_at=utcnow())
    sign_in_as(client, wei)

    page = client.get(f"/orders/{order.number}").text

    with app.test_request_context():
        start = url_for("returns.start", order=order.number)
    assert f'href="{start}"' in page
    assert "Cancel this order" not in page


def test_the_owner_asks_to_cancel_before_shipping_and_reads_requested_until_the_shop_confirms(
        client, db, make_order, wei):
    order = make_order(customer=wei, status="paid")
    sign_in_as(client, wei)
    assert "Cancel this order" in client.get(f"/orders/{order.number}").text

    response = client.post(f"/orders/{order.number}/cancel", follow_redirects=True)

    assert "asked the shop to cancel" in response.text
    assert "is cancelled" not in response.text
    assert "Cancellation requested" in response.text
    assert "Cancel this order" not in response.text
    db.session.refresh(order)
    assert (order.status, order.cancelled_at) == ("paid", None)
    assert order.cancel_requested_at is not None
    [row] = db.session.scalars(select(OutboxRow).where(OutboxRow.job_name == "mail.order_status")).all()
    assert row.args == [order.id, "cancel_requested"]

    again = client.post(f"/orders/{order.number}/cancel", follow_redirects=True)
    assert "already asked to cancel" in again.text


def test_a_cancellation_request_reads_in_chinese_too(client, db, make_order, wei):
    wei.locale = "zh"
    order = make_order(customer=wei, status="paid")
    sign_in_as(client, wei)
    client.post(f"/orders/{order.number}/cancel")

    page = client.get(f"/orders/{order.number}", headers={"Accept-Language": "zh"}).text

    assert "申请取消" in page


def test_a_shipped_order_cannot_be_cancelled(client, db, make_order, wei):
    order = make_order(customer=wei, status="shipped", last_event_at=utcnow())
    sign_in_as(client, wei)
    assert "Cancel this order" not in client.get(f"/orders/{order.number}").text

    response = client.post(f"/orders/{order.number}/cancel", follow_redirects=True)

    assert "can no longer be cancelled" in response.text
    db.session.refresh(order)
    assert order.status == "shipped"
    assert db.session.scalars(select(OutboxRow)).all() == []


def _nothing_asked(db, order):
    db.session.refresh(order)
    assert (order.status, order.cancel_requested_at) == ("paid", None)
    assert db.session.scalars(select(OutboxRow)).all() == []


def test_cancel_this_order_first_asks_for_confirmation_and_changes_nothing(client, db, make_order, wei):
    order = make_order(customer=wei, status="paid")
    sign_in_as(client, wei)
    page = client.get(f"/orders/{order.number}").text
    assert f'href="/orders/{order.number}/cancel"' in page
    assert f'action="/orders/{order.number}/cancel"' not in page  # the order page itself posts nothing

    confirmation = client.get(f"/orders/{order.number}/cancel")

    assert confirmation.status_code == 200 and "<html" in confirmation.text
    assert f"Cancel order {order.number}?" in confirmation.text
    assert f'<form method="post" action="/orders/{order.number}/cancel">' in confirmation.text
    assert "Yes, cancel the order" in confirmation.text
    assert f'href="/orders/{order.number}">Keep my order</a>' in confirmation.text
    assert confirmation.headers["Cache-Control"] == "private, no-store"
    _nothing_asked(db, order)


def test_with_htmx_the_confirmation_comes_alone_in_place_of_the_actions(client, db, make_order, wei):
    order = make_order(customer=wei, status="paid")
    sign_in_as(client, wei)
    assert 'hx-target="#order-actions"' in client.get(f"/orders/{order.number}").text

    fragment = client.get(f"/orders/{order.number}/cancel", headers={"HX-Request": "true"})

    assert "<html" not in fragment.text and 'id="order-actions"' in fragment.text
    assert "Yes, cancel the order" in fragment.text and "HX-Request" in fragment.headers["Vary"]
    _nothing_asked(db, order)


def test_confirming_cancels_and_keeping_the_order_changes_nothing(client, db, make_order, wei):
    kept, cancelled = make_order(customer=wei, status="paid"), make_order(customer=wei, status="paid")
    sign_in_as(client, wei)

    client.get(f"/orders/{kept.number}/cancel")
    back = client.get(f"/orders/{kept.number}")  # "Keep my order" is a link back to the order
    client.get(f"/orders/{cancelled.number}/cancel")
    done = client.post(f"/orders/{cancelled.number}/cancel", follow_redirects=True)

    assert "Cancel this order" in back.text
    db.session.refresh(kept)
    assert kept.cancel_requested_at is None
    assert "asked the shop to cancel" in done.text
    db.session.refresh(cancelled)
    assert cancelled.cancel_requested_at is not None


def test_the_confirmation_reads_in_chinese(client, make_order, wei):
    order = make_order(customer=wei, status="paid")
    sign_in_as(client, wei)

    page = client.get(f"/orders/{order.number}/cancel", headers={"Accept-Language": "zh"}).text

    assert f"取消订单 {order.number}？" in page and "是的，取消订单" in page and "保留订单" in page


def test_only_the_owner_of_an_order_not_yet_shipped_reaches_the_confirmation(client, db, make_order, wei,
                                                                               make_customer):
    shipped = make_order(customer=wei, status="shipped", last_event_at=utcnow())
    someone_elses = make_order(customer=make_customer(), status="paid")
    assert client.get(f"/orders/{someone_elses.number}/cancel").status_code == 404  # a guest
    sign_in_as(client, wei)

    assert client.get(f"/orders/{someone_elses.number}/cancel").status_code == 404
    refused = client.get(f"/orders/{shipped.number}/cancel", follow_redirects=True)
    assert "can no longer be cancelled" in refused.text and "Yes, cancel the order" not in refused.text


def test_the_timeline_fragment_comes_alone_for_htmx_and_as_the_page_otherwise(client, make_order, wei):
    order = make_order(customer=wei, status="in_transit", last_event_at=utcnow(), events=[
        {"status": "in_transit", "location": "Hub", "description": "Moving", "occurred_at": utcnow()}])
    sign_in_as(client, wei)

    fragment = client.get(f"/orders/{order.number}/timeline", headers={"HX-Request": "true"})
    full = client.get(f"/orders/{order.number}/timeline")

    assert fragment.status_code == full.status_code == 200
    assert fragment.text.lstrip().startswith('<section id="timeline"')
    assert "<html" not in fragment.text
    assert "<html" in full.text and 'id="timeline"' in full.text
    assert "HX-Request" in fragment.headers["Vary"] and "HX-Request" in full.headers["Vary"]
    assert 'aria-live="polite"' in fragment.text


def test_a_delivered_order_stops_polling(client, make_order, wei):
    order = make_order(customer=wei, status="delivered", delivered_at=utcnow())
    sign_in_as(client, wei)

    assert "hx-trigger" not in client.get(f"/orders/{order.number}/timeline", headers={"HX-Request": "1"}).text


def test_the_shop_confirming_the_cancellation_makes_the_order_cancelled(client, db, make_order, wei):
    order = make_order(customer=wei, status="paid")
    sign_in_as(client, wei)
    client.post(f"/orders/{order.number}/cancel")
    body = json.dumps({"event_id": f"{order.number}-cancelled", "type": "order.updated",
                       "data": {"number": order.number, "status": "cancelled"}}).encode()

    assert client.post("/api/webhooks/orders", data=body, headers=signed_headers(body)).status_code == 200

    page = client.get(f"/orders/{order.number}").text
    assert "Cancellation requested" not in page and "Cancel this order" not in page
    keys = db.session.scalars(select(OutboxRow.key).where(OutboxRow.job_name == "mail.order_status")).all()
    assert sorted(keys) == [f"order:{order.id}:cancel_requested", f"order:{order.id}:cancelled"]


@pytest.mark.parametrize(("locale", "subject"), [("en", "We asked the shop to cancel order"),
                                                 ("zh", "我们已请商家取消订单")])
def test_the_cancellation_e_mail_says_requested_not_done(app, client, db, redis, mail_sink, make_order, make_customer,
                                                         locale, subject):
    customer = make_customer(email=f"cancel-{locale}@example.com", locale=locale)
    order = make_order(customer=customer, status="paid")
    sign_in_as(client, customer)
    client.post(f"/orders/{order.number}/cancel")

    runtime.run(app, burst=True)

    [message] = mail_sink.to(customer.email)
    assert subject in message["Subject"]
    text = message.get_body(("plain",)).get_content()
    assert ("not cancelled yet" if locale == "en" else "尚未取消") in text
