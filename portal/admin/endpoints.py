"""The shop's webhook endpoints as an admin sets them up, and their delivery log as leads read it."""

import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, func, or_, select

from portal import jobs
from portal.extensions import db
from portal.i18n import lazy_gettext as _l
from portal.models import AuditEntry, OutboxRow, ShopDelivery, ShopEndpoint

LOG_SIZE = 200
EVENT_LABELS = {
    "return.approved": _l("Return approved"),
    "refund.requested": _l("Refund requested"),
    "coupon.granted": _l("Coupon requested"),
    "order.cancel_requested": _l("Order cancellation requested"),
    "exchange.requested": _l("Exchange requested"),
    "repair.booked": _l("Repair booked"),
}
DELIVERY_STATES = {
    "delivered": _l("Delivered"),
    "waiting": _l("Waiting to be sent"),
    "retrying": _l("Retrying"),
    "failed": _l("Failed"),
}


class ResendRefused(Exception):
    """The delivery is still on its way: it is retried already."""


def new_secret():
    return f"whsec_{secrets.token_urlsafe(32)}"


def _audit(staff, action, endpoint, **detail):
    db.session.add(AuditEntry(actor_type="staff", actor_id=staff.id, action=action, target_type="shop_endpoint",
                              target_id=endpoint.id, detail=detail))


def endpoints():
    """Every endpoint, switched-on first, with its count of deliveries that failed for good."""
    failed = dict(db.session.execute(
        select(ShopDelivery.endpoint_id, func.count())
        .join(OutboxRow, OutboxRow.key == ShopDelivery.outbox_key)
        .where(OutboxRow.status == "failed").group_by(ShopDelivery.endpoint_id)).all())
    rows = db.session.scalars(select(ShopEndpoint).order_by(ShopEndpoint.active.desc(), ShopEndpoint.id)).all()
    return [(endpoint, failed.get(endpoint.id, 0)) for endpoint in rows]


def create(staff, url, description, event_types):
    """A new switched-on endpoint with a fresh signing secret (the caller shows it once)."""
    endpoint = ShopEndpoint(url=url, description=description, event_types=list(event_types),
                            secret=new_secret(), active=True, created_by_id=staff.id)
    db.session.add(endpoint)
    db.session.flush()
    _audit(staff, "shop.endpoint_created", endpoint, url=url, events=list(event_types))
    return endpoint


def change(staff, endpoint, url, description, event_types, active):
    """Save the endpoint's address, events and switch, with one audit row naming what changed."""
    new = {"url": url, "description": description, "event_types": list(event_types), "active": bool(active)}
    changed = {name: {"old": getattr(endpoint, name), "new": value} for name, value in new.items()
               if getattr(endpoint, name) != value}
    for name, value in new.items():
        setattr(endpoint, name, value)
    if changed:
        _audit(staff, "shop.endpoint_changed", endpoint, url=url, changes=changed)
    return changed


def new_signing_secret(staff, endpoint):
    """Replace the endpoint's secret (the old one was lost or leaked); deliveries from now on use the new one."""
    endpoint.secret = new_secret()
    _audit(staff, "shop.secret_replaced", endpoint, url=endpoint.url)
    return endpoint.secret


@dataclass(frozen=True)
class LogRow:
    delivery: ShopDelivery
    state: str
    next_attempt: datetime | None

    @property
    def can_resend(self):
        return self.state in ("delivered", "failed")


def _state(delivery, outbox_status):
    if delivery.delivered_at is not None:
        return "delivered"
    if outbox_status == "failed":
        return "failed"
    return "retrying" if delivery.attempts else "waiting"


def _state_condition(state):
    """The SQL form of `_state`, to filter the log by one state."""
    undelivered = ShopDelivery.delivered_at.is_(None)
    given_up = OutboxRow.status == "failed"
    on_its_way = or_(OutboxRow.status.is_(None), OutboxRow.status != "failed")
    return {
        "delivered": ShopDelivery.delivered_at.is_not(None),
        "failed": and_(undelivered, given_up),
        "retrying": and_(undelivered, on_its_way, ShopDelivery.attempts > 0),
        "waiting": and_(undelivered, on_its_way, ShopDelivery.attempts == 0),
    }[state]


def delivery_log(endpoint, state=None, limit=LOG_SIZE):
    """The endpoint's newest deliveries (in one state, if given) with their state and, while retrying, when the
    next attempt is due."""
    statement = (select(ShopDelivery, OutboxRow.status, OutboxRow.not_before)
                 .outerjoin(OutboxRow, OutboxRow.key == ShopDelivery.outbox_key)
                 .where(ShopDelivery.endpoint_id == endpoint.id))
    if state:
        statement = statement.where(_state_condition(state))
    rows = db.session.execute(
        statement.order_by(ShopDelivery.created_at.desc(), ShopDelivery.id.desc()).limit(limit)).all()
    result = []
    for delivery, status, not_before in rows:
        state = _state(delivery, status)
        result.append(LogRow(delivery, state, not_before if state in ("waiting", "retrying") else None))
    return result


def resend(staff, delivery):
    """Send a delivered or failed delivery again, with the same Idempotency-Key; raises ResendRefused while
    it is still on its way."""
    status = db.session.scalar(select(OutboxRow.status).where(OutboxRow.key == delivery.outbox_key))
    if _state(delivery, status) not in ("delivered", "failed"):
        raise ResendRefused(delivery.id)
    delivery.resends += 1
    delivery.delivered_at = None
    delivery.outbox_key = f"shop-delivery:{delivery.id}:resend:{delivery.resends}"
    jobs.schedule("shop.deliver", delivery.id, key=delivery.outbox_key)
    _audit(staff, "shop.delivery_resent", delivery.endpoint, delivery=delivery.id, event=delivery.event_type,
           idempotency_key=delivery.idempotency_key)
