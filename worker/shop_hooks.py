"""Sends one delivery to the shop's endpoint, signed as the shop signs what it sends us.

At least once: a delivery is done when the endpoint answered 2xx; any other answer, a timeout or a
refused connection raises, and the outbox retries it on SHOP_HOOK_RETRY_DELAYS, then marks it failed.
A worker killed after the shop answered and before `done` committed sends it again, with the same
Idempotency-Key, so the shop applies it once.
"""

import json
import time
import urllib.error
import urllib.request

from flask import current_app

from portal.extensions import db
from portal.models import ShopDelivery, utcnow
from portal.orders.webhook import sign
from portal.shop_events import check_endpoint_address

USER_AGENT = "portal-shop-webhooks/1"


class DeliveryFailed(Exception):
    """The endpoint did not accept the delivery; the outbox retries it."""


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    # A redirect would turn the POST into a GET without the body: an endpoint that moved is a failure to fix.
    def redirect_request(self, *args, **kwargs):
        return None


_opener = urllib.request.build_opener(_NoRedirect)


def body_of(delivery):
    """The exact bytes signed and sent: compact JSON of the stored payload."""
    return json.dumps(delivery.payload, separators=(",", ":"), ensure_ascii=False, sort_keys=True).encode("utf-8")


def headers_for(delivery, body, timestamp):
    return {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "X-Timestamp": str(timestamp),
        "X-Signature": f"sha256={sign(delivery.endpoint.secret, timestamp, body)}",
        "Idempotency-Key": delivery.idempotency_key,
        "X-Event-Type": delivery.event_type,
        "X-Event-Id": delivery.event_id,
    }


def _post(url, body, headers, timeout):
    """(status code, first bytes of the answer); a 4xx/5xx answer is returned, not raised."""
    if not url.startswith(("https://", "http://")):
        raise ValueError("the endpoint's address is not http(s)")
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")  # noqa: S310 - checked above
    try:
        with _opener.open(request, timeout=timeout) as response:
            return response.status, response.read(500)
    except urllib.error.HTTPError as error:
        with error:
            return error.code, error.read(500)


def deliver(delivery_id):
    """POST one delivery; returns the endpoint's status code, raises DeliveryFailed to be retried."""
    delivery = db.session.get(ShopDelivery, delivery_id)
    if delivery is None:
        return "gone"
    if delivery.delivered_at is not None:
        return "already delivered"
    if not delivery.endpoint.active:
        raise DeliveryFailed("the endpoint is switched off")
    body = body_of(delivery)
    timestamp = int(time.time())
    headers = headers_for(delivery, body, timestamp)
    # The attempt is on record before the request leaves, so a worker killed mid-request still counts it.
    delivery.attempts += 1
    delivery.last_attempt_at = utcnow()
    db.session.commit()
    try:
        # Checked before each attempt, as when the address was saved: a name may since resolve inside the network.
        check_endpoint_address(delivery.endpoint.url, allow_private=current_app.config["SHOP_HOOK_ALLOW_PRIVATE"])
        status, answer = _post(delivery.endpoint.url, body, headers, current_app.config["SHOP_HOOK_TIMEOUT"])
    except (OSError, ValueError) as error:
        _failed(delivery, None, f"{type(error).__name__}: {error}")
    if not 200 <= status < 300:
        text = answer.decode("utf-8", "replace").strip()
        _failed(delivery, status, f"HTTP {status}" + (f": {text[:300]}" if text else ""))
    delivery.last_status_code = status
    delivery.last_error = ""
    delivery.delivered_at = utcnow()
    return str(status)


def _failed(delivery, status, error):
    """Keep what went wrong on the delivery (the outbox rolls back the job's session), then raise."""
    delivery.last_status_code = status
    delivery.last_error = error[:2000]
    db.session.commit()
    raise DeliveryFailed(error)
