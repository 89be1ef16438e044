"""Delay detection: not shipped by the promise, or no carrier event for 72 h in transit (both settings)."""

from datetime import timedelta

from sqlalchemy import select

from portal import demo
from portal.models import Order, utcnow
from portal.orders.service import is_late, late_orders


def test_is_late_names_the_reason(app, make_order):
    now = utcnow()
    overdue = make_order(status="paid", ship_by=now - timedelta(minutes=1))
    due_later = make_order(status="paid", ship_by=now + timedelta(hours=1))
    silent = make_order(status="in_transit", last_event_at=now - timedelta(hours=73))
    moving = make_order(status="in_transit", last_event_at=now - timedelta(hours=71))
    delivered = make_order(status="delivered", ship_by=now - timedelta(days=9), last_event_at=now - timedelta(days=8))
    cancelled = make_order(status="cancelled", ship_by=now - timedelta(days=3))

    assert is_late(overdue, now) == "not_shipped"
    assert is_late(silent, now) == "no_carrier_event"
    assert [is_late(o, now) for o in (due_later, moving, delivered, cancelled)] == [None] * 4


def test_the_thresholds_are_settings(app, make_order):
    now = utcnow()
    overdue = make_order(status="paid", ship_by=now - timedelta(hours=5))
    silent = make_order(status="shipped", last_event_at=now - timedelta(hours=30))
    app.config.update(LATE_SHIP_GRACE_HOURS=6, LATE_NO_EVENT_HOURS=24)

    assert is_late(overdue, now) is None
    assert is_late(silent, now) == "no_carrier_event"


def test_a_shipped_order_without_events_counts_from_when_it_shipped(app, make_order):
    now = utcnow()
    order = make_order(status="shipped", shipped_at=now - timedelta(hours=80), last_event_at=None)

    assert is_late(order, now) == "no_carrier_event"


def test_late_orders_agrees_with_is_late_on_the_demo_data(app, db):
    demo.seed_customers()
    demo.seed_orders(demo.seed_customers())
    db.session.commit()
    now = utcnow()

    flagged = {o.number for o in late_orders(now)}
    expected = {o.number for o in db.session.scalars(select(Order)) if is_late(o, now)}

    assert flagged == expected
    # The demo's two overdue paid orders and two stalled parcels, at least.
    reasons = {is_late(o, now) for o in late_orders(now)}
    assert reasons == {"not_shipped", "no_carrier_event"}
    assert len(flagged) >= 4


def test_late_orders_finds_nothing_when_all_is_on_time(app, make_order):
    make_order(status="paid", ship_by=utcnow() + timedelta(days=1))

    assert late_orders(utcnow()) == []
