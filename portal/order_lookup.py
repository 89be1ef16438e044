"""Finding a customer's order by the number they typed: the one lookup the order, return and complaint pages share."""

from sqlalchemy import select

from portal.extensions import db
from portal.models import Order


def normalise_number(raw):
    return (raw or "").strip().lstrip("#").strip()[:40]


def find_for_customer(number, customer):
    if customer is None:
        return None
    return db.session.scalar(select(Order).where(Order.number == normalise_number(number),
                                                 Order.customer_id == customer.id))
