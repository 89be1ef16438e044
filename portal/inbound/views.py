"""POST /api/inbound/mail: a hosted mail service hands us one raw message, signed like the shop's webhook.

The body is JSON with the message as MIME text under `raw` (Mailgun's `body-mime`, Postmark's `RawEmail` and
SendGrid's `email` are read too) and optionally the envelope `recipients`. A retry of a delivery we already
have is answered `duplicate`, so the service may retry safely.
"""

import json
import time

from flask import current_app, jsonify, request

from portal.extensions import csrf
from portal.inbound import bp, service
from portal.orders.webhook import signature_problem

RAW_FIELDS = ("raw", "body-mime", "RawEmail", "email")


@bp.post("/mail")
@csrf.exempt
def mail_webhook():
    """Store one signed message for the worker."""
    config = current_app.config
    # The MIME text in JSON: base64 attachments grow by a third, escapes add a little more.
    request.max_content_length = config["INBOUND_MAX_BYTES"] * 2
    body = request.get_data(cache=False)
    problem = signature_problem(config["INBOUND_WEBHOOK_SECRET"], request.headers.get("X-Timestamp", ""),
                                request.headers.get("X-Signature", ""), body, int(time.time()),
                                config["SHOP_WEBHOOK_MAX_AGE"].total_seconds())
    if problem:
        return jsonify(error=problem), 401
    try:
        payload = json.loads(body)
    except (ValueError, RecursionError):
        return jsonify(error="malformed JSON"), 400
    raw = next((payload.get(name) for name in RAW_FIELDS if isinstance(payload, dict) and payload.get(name)), None)
    recipients = payload.get("recipients", []) if isinstance(payload, dict) else []
    if not isinstance(raw, str) or not isinstance(recipients, list) or \
            not all(isinstance(r, str) and len(r) <= 254 for r in recipients[:50]):
        return jsonify(error="the message must be MIME text under 'raw', recipients a list of addresses"), 400
    result = service.accept(raw.encode("utf-8", "replace"), "webhook", recipients[:50])
    if result == "too_large":
        return jsonify(status=result), 413
    return jsonify(status=result)
