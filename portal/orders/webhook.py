"""POST /api/webhooks/orders: the shop pushes order, shipment and return events, signed with HMAC-SHA256.

The signature covers `<X-Timestamp>.<raw body>`, so neither the body nor its time can be changed;
deliveries older (or newer) than SHOP_WEBHOOK_MAX_AGE are refused, and an event id already applied is
acknowledged without applying it again, so the shop may retry safely.
"""

import hashlib
import hmac
import json
import time

from flask import Blueprint, current_app, jsonify, request
from sqlalchemy.exc import IntegrityError

from portal import metrics
from portal.extensions import csrf, db
from portal.numbers import parse_int
from portal.orders import feed

bp = Blueprint("api", __name__, url_prefix="/api")


def sign(secret, timestamp, body):
    """The hex HMAC-SHA256 the shop sends as `X-Signature: sha256=<hex>`."""
    message = str(timestamp).encode("ascii") + b"." + body
    return hmac.new(secret.encode("utf-8"), message, hashlib.sha256).hexdigest()


def signature_problem(secret, timestamp, signature, body, now, max_age_seconds):
    """Why the delivery is not authentic, or None."""
    if parse_int(timestamp, maximum=10**12 - 1) is None:
        return "missing or invalid X-Timestamp header (Unix seconds)"
    given = signature.removeprefix("sha256=")
    if not given:
        return "missing X-Signature header"
    if not hmac.compare_digest(sign(secret, timestamp, body), given):
        return "signature does not match"
    if abs(now - int(timestamp)) > max_age_seconds:
        return "timestamp outside the accepted window; sign each delivery when you send it"
    return None


def _reject_constant(name):
    raise ValueError(f"{name} is not valid JSON")


def _error(message, status, field=None):
    metrics.webhook_events_total.labels("refused").inc()
    return jsonify(error=message, field=field), status


@bp.post("/webhooks/orders")
@csrf.exempt
def orders_webhook():
    """Apply one signed event from the shop in one transaction."""
    config = current_app.config
    request.max_content_length = config["SHOP_WEBHOOK_MAX_BYTES"]
    body = request.get_data(cache=False)
    problem = signature_problem(config["SHOP_WEBHOOK_SECRET"], request.headers.get("X-Timestamp", ""),
                                request.headers.get("X-Signature", ""), body, int(time.time()),
                                config["SHOP_WEBHOOK_MAX_AGE"].total_seconds())
    if problem:
        return _error(problem, 401)
    try:
        payload = json.loads(body, parse_constant=_reject_constant)
    except (ValueError, RecursionError):
        return _error("malformed JSON", 400)
    event_id = kind = data = None
    try:
        event_id, kind, data = feed.parse_event(payload)
        result = feed.apply_event(event_id, kind, data)
        db.session.commit()
    except feed.FeedError as error:
        db.session.rollback()
        if error.refused is not None:
            # Not applied, but not silent either: the agents see the refused event on the case.
            feed.record_refusal(event_id, kind, data, error)
            db.session.commit()
        return _error(error.message, error.status, error.field)
    except IntegrityError:
        # Two deliveries of one event raced; the other one applied it.
        db.session.rollback()
        if event_id and feed.already_applied(event_id):
            metrics.webhook_events_total.labels("duplicate").inc()
            return jsonify(status="duplicate", event_id=event_id)
        raise
    metrics.webhook_events_total.labels(result).inc()
    return jsonify(status=result, event_id=event_id)
