"""Order rules: who may see an order, when it is late, what a customer may do with it."""

import hmac
from datetime import timedelta

from flask import current_app
from sqlalchemy import and_, func, or_, select

from portal import shop_events
from portal.extensions import db
from portal.i18n import lazy_gettext as _l
from portal.jobs import schedule
from portal.models import Customer, Order
from portal.models.orders import IN_TRANSIT_STATUSES
from portal.order_lookup import normalise_number
from portal.returns import policy

STATUS_LABELS = {
    "placed": _l("Order placed"),
    "paid": _l("Paid, being prepared"),
    "shipped": _l("Shipped"),
    "in_transit": _l("In transit"),
    "out_for_delivery": _l("Out for delivery"),
    "delivered": _l("Delivered"),
    "delivery_exception": _l("Delivery problem"),
    "cancelled": _l("Cancelled"),
    "returned": _l("Returned"),
}
EVENT_LABELS = {
    "label_created": _l("Label created"),
    "shipped": _l("Picked up by the carrier"),
    "in_transit": _l("In transit"),
    "customs": _l("In customs"),
    "out_for_delivery": _l("Out for delivery"),
    "delivered": _l("Delivered"),
    "delivery_exception": _l("Delivery problem"),
    "returned_to_sender": _l("Returned to sender"),
}
# Not yet handed to the carrier: the customer may still cancel, and the ship-by promise applies.
NOT_SHIPPED_STATUSES = ("placed", "paid")
# Status changes the customer hears about by e-mail (and in the inbox).
NOTIFIED_STATUSES = ("shipped", "out_for_delivery", "delivered", "delivery_exception", "cancelled")
MAX_GUEST_ORDERS = 20


# ---- Lateness ------------------------------------------------------------------------------------

def _late_thresholds(now):
    config = current_app.config
    ship_deadline = now - timedelta(hours=config["LATE_SHIP_GRACE_HOURS"])
    silent_since = now - timedelta(hours=config["LATE_NO_EVENT_HOURS"])
    return ship_deadline, silent_since


def _last_sign_of_life(order):
    return order.last_event_at or order.shipped_at or order.placed_at


def is_late(order, now):
    """'not_shipped', 'no_carrier_event', or None when the order is on time."""
    ship_deadline, silent_since = _late_thresholds(now)
    if order.status in NOT_SHIPPED_STATUSES and order.ship_by is not None and order.ship_by < ship_deadline:
        return "not_shipped"
    if order.status in IN_TRANSIT_STATUSES and _last_sign_of_life(order) < silent_since:
        return "no_carrier_event"
    return None


def late_orders_query(now):
    """The same rule as is_late, as one query (index on status, ship_by), oldest promise first."""
    ship_deadline, silent_since = _late_thresholds(now)
    not_shipped = and_(Order.status.in_(NOT_SHIPPED_STATUSES), Order.ship_by.is_not(None),
                       Order.ship_by < ship_deadline)
    silent = and_(Order.status.in_(IN_TRANSIT_STATUSES),
                  func.coalesce(Order.last_event_at, Order.shipped_at, Order.placed_at) < silent_since)
    return select(Order).where(or_(not_shipped, silent)).order_by(Order.ship_by, Order.id)


def late_orders(now):
    """Every late order at `now`: for the SLA sweep's proactive apology."""
    return db.session.scalars(late_orders_query(now)).all()


# ---- Access --------------------------------------------------------------------------------------

def find_for_guest(number, email):
    """The order if `email` is its customer's address; None for any mismatch, found the same way either way."""
    row = db.session.execute(
        select(Order, Customer.email).join(Customer, Order.customer_id == Customer.id)
        .where(Order.number == normalise_number(number), Customer.anonymised_at.is_(None))
    ).first()
    expected = row.email if row else ""
    given = (email or "").strip().lower()
    # Compared in constant time, and compared even when no order matched, so timing tells nothing.
    matches = hmac.compare_digest(expected.strip().lower().encode(), given.encode())
    return row.Order if row is not None and matches and given else None




def remember_guest_order(granted, order_id):
    """The session's list of guest-granted order ids with `order_id` added, newest last, bounded."""
    kept = [i for i in granted or [] if isinstance(i, int) and i != order_id]
    return (kept + [order_id])[-MAX_GUEST_ORDERS:]


# ---- What a guest may see ------------------------------------------------------------------------

def mask_name(name):
    """'Alice Martin' -> 'Alice M.': enough to recognise, not enough to address a parcel."""
    parts = (name or "").split()
    if len(parts) < 2:
        return parts[0][:1] + "•••" if parts else ""
    return f"{parts[0]} {parts[-1][:1]}."


def mask_address(address):
    """Only the last part (town, postcode or country) stays readable."""
    parts = [p.strip() for p in (address or "").replace("\n", ",").split(",") if p.strip()]
    if len(parts) < 2:
        return "•••" if parts else ""
    return "•••, " + parts[-1]


# ---- The order page ------------------------------------------------------------------------------

def timeline(order):
    """Carrier events newest first, by when they happened (they may arrive out of order)."""
    return sorted(order.events, key=lambda event: (event.occurred_at, event.id or 0), reverse=True)


def item_eligibility(order, today):
    """Per item: the returns policy's decision, once the order is delivered; empty before."""
    if order.status != "delivered":
        return {}
    return {item.id: policy.evaluate(order, item, None, today) for item in order.items}


def can_cancel(order):
    return order.status in NOT_SHIPPED_STATUSES and order.cancel_requested_at is None


class CannotCancel(Exception):
    pass


def cancel(order, now):
    """Cancel an order that has not shipped and tell the customer; raises CannotCancel otherwise."""
    if not can_cancel(order):
        raise CannotCancel(order.status)
    order.cancel_requested_at = now
    schedule("mail.order_status", order.id, "cancel_requested", key=f"order:{order.id}:cancel_requested")
    shop_events.order_cancel_requested(order)


class StatusRefused(ValueError):
    """The order's status map has no step from its status to the one asked for."""

    def __init__(self, current, wanted):
        super().__init__(f"an order that is {current} cannot become {wanted}")
        self.current, self.wanted = current, wanted


def move_to(order, status, at, notify=True):
    """The one way an order's status changes: checked against its map, dated, and told to the customer by e-mail
    for the steps they hear about. Moving to the status it has is nothing; returns whether it moved."""
    if status == order.status:
        return False
    if not order.can_move_to(status):
        raise StatusRefused(order.status, status)
    order.status = status
    if status == "cancelled" and order.cancelled_at is None:
        order.cancelled_at = at
    if status == "delivered":
        order.delivered_at = order.delivered_at or at
    if notify and status in NOTIFIED_STATUSES and order.id is not None:
        schedule("mail.order_status", order.id, status, key=f"order:{order.id}:{status}")
    return True
