"""POST /api/inbound/mail: a hosted mail service's raw message, signed with the shared secret."""

import json
import time

import pytest

from portal.orders.webhook import sign
from tests.agent.helpers import make_case
from tests.inbound.helpers import compose, customer_messages, inbound_rows, process_all, reply_address

URL = "/api/inbound/mail"


def _post(client, app, payload, secret=None, timestamp=None, raw_body=None):
    body = raw_body if raw_body is not None else json.dumps(payload).encode()
    timestamp = str(timestamp or int(time.time()))
    signature = sign(secret or app.config["INBOUND_WEBHOOK_SECRET"], timestamp, body)
    return client.post(URL, data=body, content_type="application/json",
                       headers={"X-Timestamp": timestamp, "X-Signature": f"sha256={signature}"})


@pytest.fixture
def reply(customer):
    case = make_case(customer, status="answered")
    return case, compose(customer.email, reply_address(case), "Sent through the mail service.").as_string()


def test_a_signed_message_lands_and_a_retry_lands_once(app, client, redis, reply):
    case, raw = reply
    first = _post(client, app, {"raw": raw})
    retry = _post(client, app, {"body-mime": raw})  # the same message, as Mailgun names the field
    process_all(app, redis)

    assert (first.status_code, first.get_json()["status"]) == (200, "accepted")
    assert (retry.status_code, retry.get_json()["status"]) == (200, "duplicate")
    assert [m.body for m in customer_messages(case)] == ["Sent through the mail service."]
    assert [r.channel for r in inbound_rows()] == ["webhook"]


@pytest.mark.parametrize("secret, timestamp", [("not-the-secret", None), (None, 1)])
def test_a_wrong_signature_or_an_old_delivery_is_refused_and_stores_nothing(app, client, reply, secret, timestamp):
    response = _post(client, app, {"raw": reply[1]}, secret=secret, timestamp=timestamp)

    assert response.status_code == 401
    assert inbound_rows() == []


def test_an_unsigned_delivery_is_refused(client, reply):
    response = client.post(URL, json={"raw": reply[1]})

    assert response.status_code == 401
    assert inbound_rows() == []


@pytest.mark.parametrize("body", [b"{not json", b"[1, 2]", b'{"raw": 5}', b'{"raw": "x", "recipients": "a@b"}',
                                  b'{"raw": "x", "recipients": [7]}', b'{}', b'"\\ud800"'])
def test_hostile_bodies_get_a_clear_400(app, client, body):
    response = _post(client, app, None, raw_body=body)

    assert response.status_code == 400
    assert "error" in response.get_json()
    assert inbound_rows() == []


def test_an_oversize_message_is_refused_with_413_and_counted(app, client, reply):
    app.config["INBOUND_MAX_BYTES"] = 2_000
    response = _post(client, app, {"raw": reply[1] + "x" * 3_000})

    assert response.status_code == 413
    [row] = inbound_rows()
    assert (row.status, row.reason, row.raw) == ("dropped", "too_large", b"")


def test_a_body_over_the_request_limit_is_refused_before_it_is_read(app, client):
    app.config["INBOUND_MAX_BYTES"] = 1_000
    response = _post(client, app, None, raw_body=b'{"raw": "' + b"x" * 5_000 + b'"}')

    assert response.status_code == 413
    assert inbound_rows() == []


def test_get_is_not_allowed(client):
    assert client.get(URL).status_code == 405
