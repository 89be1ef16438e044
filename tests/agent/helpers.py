"""Helpers shared by the agent, lead and staff sign-in tests."""

import itertools
import time
from datetime import timedelta

from portal.extensions import db
from portal.models import Case, StaffSession, utcnow
from tests.orders.helpers import sign_in_as

_references = itertools.count(1)
REFERENCE_LETTERS = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"


def next_reference():
    n = next(_references)
    digits = []
    for _ in range(8):
        n, r = divmod(n, len(REFERENCE_LETTERS))
        digits.append(REFERENCE_LETTERS[r])
    return "C-" + "".join(reversed(digits))


def make_case(customer, order=None, **overrides):
    """An escalated case as the cases journey leaves it, with SLA dues from its filing time."""
    now = utcnow()
    created = overrides.pop("created_at", now - timedelta(minutes=5))
    urgency = overrides.get("urgency", "high")
    first_due = {"high": timedelta(minutes=10), "medium": timedelta(hours=1), "low": timedelta(hours=24)}[urgency]
    resolution_due = {"high": timedelta(hours=24), "medium": timedelta(hours=24), "low": timedelta(hours=72)}[urgency]
    values = {
        "reference": next_reference(), "kind": "complaint", "status": "escalated", "customer_id": customer.id,
        "order_id": order.id if order else None, "category": "damaged", "urgency": urgency,
        "description": "The kettle arrived broken and the lid is cracked.", "escalated": True,
        "escalated_at": created, "created_at": created, "updated_at": created, "priority": 100,
        "first_response_due": created + first_due, "resolution_due": created + resolution_due,
        "triage_reasons": ["damaged product"],
    }
    values.update(overrides)
    case = Case(**values)
    db.session.add(case)
    db.session.commit()
    return case


def sign_in_staff(client, staff, browser="Firefox 133", system="Linux", ip_address="192.0.2.10"):
    """Put the staff member in the client's session, as a successful sign-in does; the session row it names."""
    record = StaffSession(staff_id=staff.id, browser=browser, system=system, ip_address=ip_address,
                          end_reason="")
    db.session.add(record)
    db.session.commit()
    with client.session_transaction() as session:
        session["staff_id"] = staff.id
        session["staff_sv"] = staff.session_version
        session["staff_at"] = time.time()
        session["staff_session"] = record.id
    return record


def sign_in_customer(client, customer):
    sign_in_as(client, customer)
