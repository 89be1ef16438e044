"""Filing a complaint: gather the facts, triage, store the case and send it where triage says."""

from datetime import timedelta

from flask import current_app
from sqlalchemy import select

from portal import metrics, order_lookup
from portal.casework import service as cases
from portal.complaints.triage import OrderFacts, PastContact, triage
from portal.extensions import db
from portal.formatting import format_date, money
from portal.help import service as help_service
from portal.i18n import gettext as _
from portal.models import Case, CaseAttachment, Order, utcnow
from portal.orders import service as orders

RECENT_ORDERS = 20


def order_facts(order, now):
    """What triage needs from the orders service: the order's number, status and lateness."""
    if order is None:
        return None
    late = orders.is_late(order, now)
    since = None
    if late == "not_shipped":
        since = order.ship_by
    elif late:
        since = order.last_event_at or order.shipped_at or order.placed_at
    return OrderFacts(number=order.number, status=order.status, late=late, late_since=since)


def history(customer):
    """The customer's earlier cases, as triage sees them."""
    rows = db.session.execute(
        select(Case.category, Order.number, Case.created_at).outerjoin(Order, Case.order_id == Order.id)
        .where(Case.customer_id == customer.id)
    ).all()
    return [PastContact(category, number, created_at) for category, number, created_at in rows]


def recent_orders(customer, include_number=None):
    """The customer's latest orders for the form's order list, plus one named in the link if it is theirs."""
    rows = list(db.session.scalars(select(Order).where(Order.customer_id == customer.id)
                                   .order_by(Order.placed_at.desc(), Order.id.desc()).limit(RECENT_ORDERS)))
    if include_number and all(o.number != include_number for o in rows):
        named = order_lookup.find_for_customer(include_number, customer)
        if named is not None:
            rows.insert(0, named)
    return rows


def _decision_reason(result):
    if result.urgency == "high" and result.angry:
        return "escalated at once: high urgency and the customer is angry"
    if result.urgency == "high":
        return "escalated at once: high urgency"
    if result.angry:
        return "escalated at once: the customer is angry"
    return f"acknowledged with suggested articles: {result.urgency} urgency"


def file_complaint(customer, category, description, desired_outcome, order=None, source_article=None, now=None,
                   photos=()):
    """Store a complaint, triaged: high urgency or anger goes to an agent at once, the rest is acknowledged.

    `photos` are StoredPhotos the view kept already (portal/casework/photos.py: checked, EXIF stripped)."""
    now = now or utcnow()
    window = timedelta(days=current_app.config["COMPLAINT_REPEAT_WINDOW_DAYS"])
    result = triage(description, category, order_facts(order, now), customer, history(customer), now=now,
                    repeat_window=window)
    metrics.triage_decisions_total.labels(result.urgency, "yes" if result.escalate else "no").inc()
    case = Case(kind="complaint", customer_id=customer.id, order_id=order.id if order else None,
                category=category, description=description, desired_outcome=desired_outcome,
                currency=order.currency if order else "USD", urgency=result.urgency, angry=result.angry,
                priority=result.priority, triage_reasons=[r.as_dict() for r in result.reasons],
                source_article_id=source_article.id if source_article else None)
    case.attachments = [CaseAttachment(stored_name=photo.name, content_type=photo.content_type,
                                       size_bytes=photo.size_bytes, created_at=now) for photo in photos]
    cases.open_case(case, "escalated" if result.escalate else "acknowledged", _decision_reason(result), now=now)
    if source_article is not None:
        help_service.record_escalation(source_article.id)
    return case


def order_label(order):
    """How the order list names an order: number, date, what was in it and the total."""
    names = [item.name for item in order.items]
    items = ", ".join(names[:2]) if len(names) <= 2 else \
        _("%(first)s, %(second)s and %(count)s more", first=names[0], second=names[1], count=len(names) - 2)
    return _("Order %(number)s · %(date)s · %(items)s · %(total)s", number=order.number,
             date=format_date(order.placed_at, "medium"), items=items,
             total=money(order.total_cents, order.currency))


def find_order(customer, number):
    return order_lookup.find_for_customer(number, customer) if number else None
