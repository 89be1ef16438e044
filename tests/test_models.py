from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError, StatementError

from portal.models import Customer, Order, OrderItem


def test_times_come_back_timezone_aware_in_utc(db, make_customer):
    shanghai = timezone(timedelta(hours=8))
    created = datetime(2026, 3, 1, 9, 30, tzinfo=shanghai)
    customer = make_customer(created_at=created)
    db.session.expire_all()

    stored = db.session.get(Customer, customer.id).created_at

    assert stored.tzinfo is not None
    assert stored == created
    assert stored.utcoffset() == timedelta(0)


def test_a_naive_time_is_refused(db, make_customer):
    with pytest.raises(StatementError, match="naive datetime"):
        make_customer(created_at=datetime(2026, 3, 1, 9, 30))
    db.session.rollback()


def test_customer_email_is_unique(db, make_customer):
    make_customer(email="same@example.com")
    with pytest.raises(IntegrityError):
        make_customer(email="same@example.com")
    db.session.rollback()


def test_money_is_integer_cents_and_quantities_must_be_positive(db, make_order):
    order = make_order(items=[{"sku": "A", "name": "Mug", "category": "home", "price_cents": 1999, "qty": 2}])
    assert order.total_cents == 3998
    assert isinstance(order.items[0].price_cents, int)

    order.items.append(OrderItem(sku="B", name="Broken", category="home", price_cents=100, qty=0))
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()


def test_deleting_an_order_takes_its_items_and_events(db, make_order):
    order = make_order(events=[{"status": "shipped", "occurred_at": datetime.now(UTC)}])
    db.session.delete(order)
    db.session.commit()

    assert db.session.scalars(select(OrderItem)).all() == []
    assert db.session.scalars(select(Order)).all() == []
