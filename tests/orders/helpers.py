"""Helpers shared by the order, sign-in and account tests."""

import hashlib
import hmac
import json
import re
import time

from tests.conftest import make_app

WEBHOOK_SECRET = "test-webhook-secret"  # tests.conftest's SHOP_WEBHOOK_SECRET


def sign_in_as(client, customer):
    """Put the customer in the client's session, as following a sign-in link does."""
    with client.session_transaction() as session:
        session["customer_id"] = customer.id
        session["customer_signed_in_at"] = session["customer_seen_at"] = int(time.time())
        session["sid"] = "test-visitor"


def limited_app(test_environ, **overrides):
    """An app with rate limiting on (the shared test app turns it off); Flask-Limiter reads the flag at init."""
    return make_app(test_environ, RATELIMIT_ENABLED=True, **overrides)


def signed_headers(body, timestamp=None, secret=WEBHOOK_SECRET):
    timestamp = str(int(time.time()) if timestamp is None else timestamp)
    signature = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return {"Content-Type": "application/json", "X-Timestamp": timestamp, "X-Signature": f"sha256={signature}"}


def post_event(client, event, **header_overrides):
    body = event if isinstance(event, bytes) else json.dumps(event).encode()
    headers = signed_headers(body)
    headers.update(header_overrides)
    return client.post("/api/webhooks/orders", data=body, headers=headers)


def order_created(number="W1001", email="shopper@example.com", event_id=None, **data):
    payload = {
        "number": number,
        "customer": {"email": email, "name": "Sam Shopper", "phone": "+1 555 0199", "locale": "en",
                     "timezone": "Europe/Rome"},
        "status": "paid", "currency": "EUR", "placed_at": "2026-03-01T09:30:00Z", "ship_by": "2026-03-03T09:30:00Z",
        "estimated_delivery": "2026-03-08",
        "shipping": {"name": "Sam Shopper", "address": "Via del Corso 12, 00186 Roma", "phone": "+39 06 5555 1234",
                     "country": "IT"},
        "items": [{"sku": "TSH-001", "name": "Organic cotton T-shirt", "category": "apparel", "price_cents": 2400,
                   "qty": 2, "returnable": True}],
    }
    payload.update(data)
    return {"event_id": event_id or f"evt-created-{number}", "type": "order.created", "data": payload}


def shipment(number, status, occurred_at, event_id, **data):
    payload = {"order_number": number, "status": status, "occurred_at": occurred_at, "location": "Milano, IT",
               "description": f"{status} at the hub"}
    payload.update(data)
    return {"event_id": event_id, "type": "shipment.event", "data": payload}


def links_in(message):
    return re.findall(r"https?://\S+", message.get_body(("plain",)).get_content())
