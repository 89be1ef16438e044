"""Signed links in feedback e-mails: survey ratings, follow-up answers, unsubscribing.

A link carries what it is about (a case, or a customer) and when it expires, signed with SECRET_KEY
under a salt per purpose, so a link made for one purpose is refused by every other. Nothing is stored:
the signature is the proof, and the customer's click is checked against the case as it is now.
"""

from flask import current_app
from itsdangerous import BadData, URLSafeSerializer

from portal.extensions import db
from portal.models import Case, Customer

PURPOSES = ("survey", "followup", "unsubscribe")
MAX_TOKEN_CHARS = 400


class LinkRefused(Exception):
    """The link cannot be used; `reason` is 'invalid', 'expired' or 'other_case'."""

    def __init__(self, reason):
        super().__init__(reason)
        self.reason = reason


def _serializer(purpose):
    if purpose not in PURPOSES:
        raise ValueError(purpose)
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=f"portal.{purpose}")


def sign(purpose, **values):
    return _serializer(purpose).dumps(values)


def read(purpose, raw, now):
    """The signed values, or LinkRefused: 'invalid' for anything tampered, 'expired' past its `e`."""
    if not isinstance(raw, str) or not raw or len(raw) > MAX_TOKEN_CHARS:
        raise LinkRefused("invalid")
    try:
        values = _serializer(purpose).loads(raw)
    except BadData:
        raise LinkRefused("invalid") from None
    if not isinstance(values, dict):
        raise LinkRefused("invalid")
    expires = values.get("e")
    if expires is not None:
        if not isinstance(expires, int):
            raise LinkRefused("invalid")
        if now.timestamp() >= expires:
            raise LinkRefused("expired")
    return values


def case_token(purpose, case, expires_at):
    return sign(purpose, c=case.id, u=case.customer_id, e=int(expires_at.timestamp()))


def read_case(purpose, raw, now):
    """The case a case link names, if it is still that customer's case; LinkRefused otherwise."""
    values = read(purpose, raw, now)
    case_id, customer_id = values.get("c"), values.get("u")
    if not isinstance(case_id, int) or not isinstance(customer_id, int):
        raise LinkRefused("invalid")
    case = db.session.get(Case, case_id)
    if case is None or case.customer_id != customer_id or case.customer.anonymised_at is not None:
        raise LinkRefused("other_case")
    return case


def customer_token(purpose, customer):
    return sign(purpose, u=customer.id)


def read_customer(purpose, raw, now):
    values = read(purpose, raw, now)
    customer_id = values.get("u")
    if not isinstance(customer_id, int):
        raise LinkRefused("invalid")
    customer = db.session.get(Customer, customer_id)
    if customer is None or customer.anonymised_at is not None:
        raise LinkRefused("other_case")
    return customer
