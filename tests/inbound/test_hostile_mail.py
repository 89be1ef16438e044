"""Malformed and hostile messages: each one is stored and decided without an exception, and lands nothing
that could harm a page."""

import pytest

from portal.extensions import db
from portal.inbound import service
from portal.models import InboundMessage
from tests.agent.helpers import make_case
from tests.inbound.helpers import customer_messages, reply_address


@pytest.fixture
def to_case(customer):
    case = make_case(customer, status="answered")
    return case, reply_address(case)


def _headers(customer, to, extra=""):
    return f"From: {customer.email}\r\nTo: {to}\r\nSubject: hi\r\n{extra}"


@pytest.mark.parametrize("body", [
    "\r\nplain",
    "Content-Type: text/plain; charset=x-unknown-charset\r\n\r\n\xe9t\xe9",
    "Content-Type: text/plain\r\nContent-Transfer-Encoding: base64\r\n\r\n!!!not base64!!!",
    "Content-Type: multipart/mixed; boundary=nope\r\n\r\nno parts at all",
    "Content-Type: multipart/alternative\r\n\r\n--\r\n",
    "Content-Type: text/html\r\n\r\n<svg onload=alert(1)><iframe src=javascript:alert(1)></iframe>hello",
    "Content-Type: image/png; name=a.png\r\nContent-Disposition: attachment; filename=\"../../x.png\"\r\n"
    "Content-Transfer-Encoding: base64\r\n\r\niVBORw0KGgo=",
    "X-Long: " + "a" * 20_000 + "\r\n\r\ntext",
])
def test_a_malformed_message_is_decided_without_an_error(app, customer, to_case, body):
    case, address = to_case
    raw = (_headers(customer, address) + body).encode("utf-8", "surrogateescape")
    assert service.accept(raw, "webhook") == "accepted"
    row = db.session.query(InboundMessage).one()

    outcome = service.process(row.id)
    db.session.commit()

    assert row.status in ("landed", "dropped"), outcome
    for message in customer_messages(case):
        assert "<" not in message.body and "javascript:" not in message.body


def test_garbage_bytes_are_stored_once_and_dropped(app):
    raw = bytes(range(256)) * 4
    assert service.accept(raw, "webhook") == "accepted"
    assert service.accept(raw, "webhook") == "duplicate"
    row = db.session.query(InboundMessage).one()
    service.process(row.id)
    db.session.commit()

    assert row.status in ("dropped", "answered")
