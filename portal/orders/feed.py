"""The shop's feed: order and shipment events, validated and applied the same way by the webhook and
`flask shop import`.

An event is `{"event_id", "type", "data"}`; see the README for the payload. Validation is done before
anything is written, and applying an event is idempotent by its id (a ShopEvent row remembers it).
"""

import re
from datetime import UTC, date, datetime

import pytz
from flask import current_app
from sqlalchemy import func, select

from portal.extensions import db
from portal.models import Customer, Order, OrderItem, ShipmentEvent, ShopEvent, utcnow
from portal.models.orders import ORDER_STATUSES, SHIPMENT_STATUSES
from portal.orders import service
from portal.returns import parcel
from portal.storable import column_max, storable_text

# The return's way back and what the shop did with it: each moves the return's case one step.
RETURN_EVENT_TYPES = ("return.in_transit", "return.received", "refund.issued", "exchange.shipped",
                      "repair.completed")
EVENT_TYPES = ("order.created", "order.updated", "shipment.event", *RETURN_EVENT_TYPES)
RMA = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]{0,19}$")
REFUND_METHODS = ("original", "store_credit", "bank_transfer", "other")
ITEM_CONDITIONS = ("as_new", "opened", "used", "damaged")
ORDER_NUMBER = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,39}$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
MAX_ITEMS = 200
# The order status a carrier event moves the order to; None leaves it as it is.
SHIPMENT_TO_ORDER_STATUS = {
    "label_created": None, "shipped": "shipped", "in_transit": "in_transit", "customs": "in_transit",
    "out_for_delivery": "out_for_delivery", "delivered": "delivered",
    "delivery_exception": "delivery_exception", "returned_to_sender": "delivery_exception",
}


class FeedError(ValueError):
    """An event we cannot apply; `field` names the offending field, `status` the HTTP status to answer."""

    def __init__(self, field, message, status=400, refused=None):
        super().__init__(f"{field}: {message}" if field else message)
        self.field = field
        self.message = message
        self.status = status
        # A return event that does not fit its case: kept for the agents (record_refusal) though not applied.
        self.refused = refused


# ---- Validation ----------------------------------------------------------------------------------

_MISSING = object()


def _get(obj, key, path, required):
    value = obj.get(key, _MISSING)
    if value is _MISSING or value is None:
        if required:
            raise FeedError(f"{path}{key}", "is required")
        return _MISSING
    return value


def _text(obj, key, path, max_length, required=False, pattern=None):
    value = _get(obj, key, path, required)
    if value is _MISSING:
        return value
    if not isinstance(value, str):
        raise FeedError(f"{path}{key}", "must be a string")
    value = storable_text(value).strip()
    if required and not value:
        raise FeedError(f"{path}{key}", "must not be empty")
    if len(value) > max_length:
        raise FeedError(f"{path}{key}", f"must be at most {max_length} characters")
    if pattern is not None and value and not pattern.match(value):
        raise FeedError(f"{path}{key}", "has an invalid format")
    return value


def _integer(obj, key, path, minimum, column, required=False):
    """An integer from `minimum` up to the most the database `column` holds."""
    value = _get(obj, key, path, required)
    if value is _MISSING:
        return value
    # bool is an int in Python; in JSON it is not a number.
    if not isinstance(value, int) or isinstance(value, bool):
        raise FeedError(f"{path}{key}", "must be an integer")
    maximum = column_max(column)
    if value < minimum or value > maximum:
        raise FeedError(f"{path}{key}", f"must be between {minimum} and {maximum}")
    return value


def _boolean(obj, key, path):
    value = _get(obj, key, path, False)
    if value is not _MISSING and not isinstance(value, bool):
        raise FeedError(f"{path}{key}", "must be true or false")
    return value


def _choice(obj, key, path, choices, required=False):
    value = _get(obj, key, path, required)
    if value is not _MISSING and value not in choices:
        raise FeedError(f"{path}{key}", f"must be one of: {', '.join(choices)}")
    return value


def _timestamp(obj, key, path, required=False):
    value = _text(obj, key, path, 40, required)
    if value is _MISSING or value == "":
        return _MISSING
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise FeedError(f"{path}{key}", "must be an ISO 8601 date and time") from None
    if parsed.tzinfo is None:
        raise FeedError(f"{path}{key}", "must include a time zone, e.g. 2026-03-01T10:00:00Z")
    return parsed.astimezone(UTC)


def _day(obj, key, path):
    value = _text(obj, key, path, 10)
    if value is _MISSING or value == "":
        return _MISSING
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise FeedError(f"{path}{key}", "must be a date like 2026-03-08") from None


def _object(obj, key, path, required=False):
    value = _get(obj, key, path, required)
    if value is not _MISSING and not isinstance(value, dict):
        raise FeedError(f"{path}{key}", "must be an object")
    return value


def _present(values):
    return {k: v for k, v in values.items() if v is not _MISSING}


def _customer(data, required):
    block = _object(data, "customer", "data.", required)
    if block is _MISSING:
        return _MISSING
    path = "data.customer."
    timezone = _text(block, "timezone", path, 64)
    if timezone is not _MISSING and timezone not in pytz.all_timezones_set:
        raise FeedError(f"{path}timezone", "must be an IANA time zone such as Europe/Rome")
    return _present({
        "email": _text(block, "email", path, 254, required=True, pattern=EMAIL).lower(),
        "name": _text(block, "name", path, 120),
        "phone": _text(block, "phone", path, 40),
        "locale": _choice(block, "locale", path, current_app.config["LANGUAGES"]),
        "timezone": timezone,
    })


def _items(data, required):
    items = _get(data, "items", "data.", required)
    if items is _MISSING:
        return _MISSING
    if not isinstance(items, list):
        raise FeedError("data.items", "must be a list")
    if required and not items:
        raise FeedError("data.items", "must not be empty")
    if len(items) > MAX_ITEMS:
        raise FeedError("data.items", f"must have at most {MAX_ITEMS} items")
    parsed = []
    for index, item in enumerate(items):
        path = f"data.items[{index}]."
        if not isinstance(item, dict):
            raise FeedError(f"data.items[{index}]", "must be an object")
        # Category is optional in the feed (absent or null), but its column holds no NULL.
        parsed.append({"category": "", **_present({
            "sku": _text(item, "sku", path, 64, required=True),
            "name": _text(item, "name", path, 200, required=True),
            "category": _text(item, "category", path, 40),
            "price_cents": _integer(item, "price_cents", path, 0, OrderItem.price_cents, required=True),
            "qty": _integer(item, "qty", path, 1, OrderItem.qty),
            "returnable": _boolean(item, "returnable", path),
        })})
    return parsed


def _order(data, creating):
    shipping = _object(data, "shipping", "data.")
    shipping = {} if shipping is _MISSING else shipping
    country = _text(shipping, "country", "data.shipping.", 2)
    currency = _text(data, "currency", "data.", 3, pattern=re.compile(r"^[A-Z]{3}$"))
    fields = _present({
        "number": _text(data, "number", "data.", 40, required=True, pattern=ORDER_NUMBER),
        "customer": _customer(data, creating),
        "status": _choice(data, "status", "data.", ORDER_STATUSES),
        "currency": currency,
        "total_cents": _integer(data, "total_cents", "data.", 0, Order.total_cents),
        "placed_at": _timestamp(data, "placed_at", "data.", required=creating),
        "ship_by": _timestamp(data, "ship_by", "data."),
        "estimated_delivery": _day(data, "estimated_delivery", "data."),
        "carrier": _text(data, "carrier", "data.", 60),
        "tracking_number": _text(data, "tracking_number", "data.", 80),
        "cross_border": _boolean(data, "cross_border", "data."),
        "shipping_name": _text(shipping, "name", "data.shipping.", 120),
        "shipping_address": _text(shipping, "address", "data.shipping.", 1000),
        "shipping_phone": _text(shipping, "phone", "data.shipping.", 40),
        "ship_country": country.upper() if isinstance(country, str) else country,
        "items": _items(data, creating),
    })
    if "items" in fields and "total_cents" not in fields:
        fields["total_cents"] = _items_total(fields)
    return fields


def _items_total(fields):
    """The order total when the shop sends none: the sum of its items, which must fit the column too."""
    total = sum(item["price_cents"] * item.get("qty", 1) for item in fields["items"])
    if total > column_max(Order.total_cents):
        raise FeedError("data.items", f"the items add up to more than {column_max(Order.total_cents)} cents")
    return total


def _shipment(data):
    path = "data."
    return _present({
        "order_number": _text(data, "order_number", path, 40, required=True, pattern=ORDER_NUMBER),
        "status": _choice(data, "status", path, SHIPMENT_STATUSES, required=True),
        "occurred_at": _timestamp(data, "occurred_at", path, required=True),
        "location": _text(data, "location", path, 120),
        "description": _text(data, "description", path, 300),
        "carrier": _text(data, "carrier", path, 60),
        "tracking_number": _text(data, "tracking_number", path, 80),
    })


def _returned_items(data):
    items = _get(data, "items", "data.", False)
    if items is _MISSING:
        return _MISSING
    if not isinstance(items, list) or len(items) > MAX_ITEMS:
        raise FeedError("data.items", f"must be a list of at most {MAX_ITEMS} items")
    parsed = []
    for index, item in enumerate(items):
        path = f"data.items[{index}]."
        if not isinstance(item, dict):
            raise FeedError(f"data.items[{index}]", "must be an object")
        parsed.append(_present({
            "sku": _text(item, "sku", path, 64, required=True),
            "qty": _integer(item, "qty", path, 1, OrderItem.qty),
            "condition": _choice(item, "condition", path, ITEM_CONDITIONS),
        }))
    return parsed


def _return_event(kind, data):
    """A return event's fields; the RMA names the case (the shop has it from the label and return.approved)."""
    path = "data."
    fields = {
        "rma": _text(data, "rma", path, 20, required=True, pattern=RMA).upper(),
        "occurred_at": _timestamp(data, "occurred_at", path),
        "carrier": _text(data, "carrier", path, 60),
        "tracking_number": _text(data, "tracking_number", path, 80),
        "note": _text(data, "note", path, 500),
    }
    if kind == "return.received":
        fields["condition"] = _choice(data, "condition", path, ITEM_CONDITIONS)
        fields["items"] = _returned_items(data)
    elif kind == "refund.issued":
        fields["amount_cents"] = _integer(data, "amount_cents", path, 1, Order.total_cents, required=True)
        fields["currency"] = _text(data, "currency", path, 3, required=True, pattern=re.compile(r"^[A-Z]{3}$"))
        fields["method"] = _choice(data, "method", path, REFUND_METHODS, required=True)
    elif kind == "exchange.shipped":
        fields["order_number"] = _text(data, "order_number", path, 40, pattern=ORDER_NUMBER)
        if not fields["order_number"] and not fields["tracking_number"]:
            raise FeedError("data.tracking_number", "is required (or data.order_number, the new order)")
    return _present(fields)


def parse_event(payload):
    """Validate one decoded JSON event; returns (event_id, type, data). Unknown fields are ignored."""
    if not isinstance(payload, dict):
        raise FeedError("", "the body must be a JSON object")
    event_id = _text(payload, "event_id", "", 80, required=True)
    kind = _choice(payload, "type", "", EVENT_TYPES, required=True)
    data = _object(payload, "data", "", required=True)
    if kind == "shipment.event":
        return event_id, kind, _shipment(data)
    if kind in RETURN_EVENT_TYPES:
        return event_id, kind, _return_event(kind, data)
    return event_id, kind, _order(data, creating=kind == "order.created")


# ---- Applying ------------------------------------------------------------------------------------

def already_applied(event_id):
    return db.session.scalar(select(ShopEvent.id).where(ShopEvent.event_id == event_id)) is not None


def _find_customer(fields):
    email = fields["email"]
    customer = db.session.scalar(select(Customer).where(func.lower(Customer.email) == email,
                                                        Customer.anonymised_at.is_(None)))
    if customer is None:
        customer = Customer(email=email, name=fields.get("name", ""), phone=fields.get("phone", ""),
                            locale=fields.get("locale", "en"), timezone=fields.get("timezone", "UTC"))
        db.session.add(customer)
        db.session.flush()
    return customer


def _apply_order(kind, fields, notify):
    order = db.session.scalar(select(Order).where(Order.number == fields["number"]))
    if order is None and kind == "order.updated":
        raise FeedError("data.number", "no order with this number yet; send order.created first", status=409)
    if order is None:
        customer = _find_customer(fields["customer"])
        order = Order(number=fields["number"], customer_id=customer.id, status=fields.get("status", "placed"),
                      placed_at=fields["placed_at"])
        db.session.add(order)
    simple = ("currency", "placed_at", "ship_by", "estimated_delivery", "carrier", "tracking_number",
              "cross_border", "shipping_name", "shipping_address", "shipping_phone", "ship_country")
    for name in simple:
        if name in fields:
            setattr(order, name, fields[name])
    if "items" in fields:
        order.items.clear()
        for item in fields["items"]:
            order.items.append(OrderItem(**item))
    if "total_cents" in fields:
        order.total_cents = fields["total_cents"]
    db.session.flush()
    if "status" in fields:
        try:
            service.move_to(order, fields["status"], utcnow(), notify)
        except service.StatusRefused as refused:
            raise FeedError("data.status", str(refused), status=409) from refused
    return order


def _apply_shipment(event_id, fields, notify):
    order = db.session.scalar(select(Order).where(Order.number == fields["order_number"]))
    if order is None:
        raise FeedError("data.order_number", "no order with this number yet; send order.created first",
                        status=409)
    occurred = fields["occurred_at"]
    newest = order.last_event_at is None or occurred >= order.last_event_at
    db.session.add(ShipmentEvent(order_id=order.id, event_id=event_id, status=fields["status"],
                                 location=fields.get("location", ""), description=fields.get("description", ""),
                                 occurred_at=occurred))
    for name in ("carrier", "tracking_number"):
        if fields.get(name):
            setattr(order, name, fields[name])
    if newest:
        order.last_event_at = occurred
    if fields["status"] == "shipped" and (order.shipped_at is None or occurred < order.shipped_at):
        order.shipped_at = occurred
    target = SHIPMENT_TO_ORDER_STATUS[fields["status"]]
    # An older event arriving late goes into the timeline but does not move the order backwards, and a scan the
    # order's status map has no step for (a cancelled order, a delivered one) stays in the timeline only.
    if newest and target and (target == order.status or order.can_move_to(target)):
        if target == "delivered":
            order.delivered_at = occurred
        service.move_to(order, target, occurred, notify)
    return order


def _apply_return(event_id, kind, data, notify):
    try:
        parcel.apply_shop_event(event_id, kind, data, notify=notify)
    except parcel.ShopEventRefused as refused:
        raise FeedError(refused.field, refused.message, status=409, refused=refused) from None


def record_refusal(event_id, kind, data, error):
    """Keep a refused return event where the agents see it; the caller commits."""
    parcel.record_refusal(event_id, kind, data, error.refused)


def apply_event(event_id, kind, data, notify=True):
    """Apply a parsed event in the caller's transaction: 'applied', or 'duplicate' if seen before."""
    if already_applied(event_id):
        return "duplicate"
    if kind == "shipment.event":
        _apply_shipment(event_id, data, notify)
    elif kind in RETURN_EVENT_TYPES:
        _apply_return(event_id, kind, data, notify)
    else:
        _apply_order(kind, data, notify)
    db.session.add(ShopEvent(event_id=event_id, kind=kind))
    db.session.flush()
    return "applied"
