"""The order page's read model: the same page as from the ORM's Order, the same values as SQLAlchemy's own
results, and the pooled connection left as it was found."""

import re
from dataclasses import fields
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import bindparam, select, text
from sqlalchemy.orm import joinedload, selectinload

from portal.models import Customer, Order, OrderItem, utcnow
from portal.orders import page
from portal.orders.page import OrderPage, PlainQuery, plain_cursor
from tests.orders.helpers import sign_in_as

CSRF_TOKEN = re.compile(r"[\w-]+\.[\w-]+\.[\w-]{20,}")
EVENTS = [{"status": "shipped", "location": "Shenzhen, CN", "description": "Picked up",
           "occurred_at": datetime(2026, 3, 1, 0, 0, tzinfo=UTC)},
          {"status": "in_transit", "location": "Hong Kong, HK", "description": "Departed hub",
           "occurred_at": datetime(2026, 3, 2, 6, 30, tzinfo=UTC)}]

ORDER_ROW = (select(Order.id, Order.number, Order.placed_at, Order.shipped_at, Order.estimated_delivery,
                    Order.cross_border, OrderItem.returnable)
             .join(OrderItem).where(Order.number == bindparam("number")).order_by(OrderItem.id))


def test_rows_have_the_values_and_types_that_sqlalchemy_gives(db, make_order):
    order = make_order(placed_at=datetime(2026, 3, 29, 0, 30, tzinfo=UTC), shipped_at=None,
                       estimated_delivery=date(2026, 4, 2), cross_border=True,
                       items=[{"sku": "A", "name": "A", "category": "apparel", "price_cents": 100, "returnable": False},
                              {"sku": "B", "name": "B", "category": "apparel", "price_cents": 200}])
    expected = [tuple(row) for row in db.session.execute(ORDER_ROW, {"number": order.number})]

    with plain_cursor() as cursor:
        rows = [tuple(row) for row in PlainQuery(ORDER_ROW).rows(cursor, {"number": order.number})]

    assert rows == expected
    assert len(rows) == 2
    placed_at = rows[0][2]
    assert placed_at == datetime(2026, 3, 29, 0, 30, tzinfo=UTC) and placed_at.utcoffset().total_seconds() == 0
    assert [type(value) for value in rows[0][4:]] == [date, bool, bool]
    assert [row[6] for row in rows] == [False, True]


def test_a_read_with_no_match_gives_no_rows(db):
    with plain_cursor() as cursor:
        assert PlainQuery(ORDER_ROW).rows(cursor, {"number": "NO-SUCH"}) == []


def test_values_are_bound_never_spliced_into_the_sql(db, make_order):
    make_order()
    hostile = "x' OR '1'='1"
    with plain_cursor() as cursor:
        assert PlainQuery(select(Customer.id).where(Customer.email == bindparam("email"))) \
            .rows(cursor, {"email": hostile}) == []


def test_the_connection_goes_back_to_the_pool(db):
    with plain_cursor() as cursor:
        PlainQuery(ORDER_ROW).rows(cursor, {"number": "T1"})

    assert db.engine.pool.checkedout() == 0


def _postgresql_only(db):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("only PostgreSQL reads switch the connection to autocommit and back")


def test_on_postgresql_the_read_is_outside_a_transaction_and_the_pool_gets_a_transactional_connection(db):
    _postgresql_only(db)
    with plain_cursor() as cursor:
        driver = cursor.connection
        assert driver.autocommit is True
        PlainQuery(ORDER_ROW).rows(cursor, {"number": "T1"})
        assert driver.info.transaction_status == driver.info.transaction_status.IDLE  # no BEGIN was sent

    # The ORM session may get this connection next, and its rollback must undo what it wrote.
    assert driver.autocommit is False


def test_a_connection_that_broke_during_the_read_is_not_used_again(db):
    _postgresql_only(db)
    with pytest.raises(db.engine.dialect.loaded_dbapi.Error), plain_cursor() as cursor:
        cursor.connection.close()  # as a server restart leaves it
        cursor.execute("SELECT 1")
    assert db.engine.pool.checkedout() == 0

    with plain_cursor() as cursor:
        assert PlainQuery(select(text("1"))).rows(cursor, {}) == [(1,)]


# ---- The same page as from the ORM --------------------------------------------------------------------

def _orm_order(db, number):
    """The order as the library loads it, relationships included."""
    db.session.expire_all()
    return db.session.scalar(select(Order).where(Order.number == number).options(
        joinedload(Order.customer), selectinload(Order.items), selectinload(Order.events)))


def _both_ways(db, client, monkeypatch, path, number):
    """The page at `path` rendered from the read model, then from the ORM's Order (form tokens aside: they are
    signed with the second they were made in)."""
    from_read_model = client.get(path).text
    monkeypatch.setattr(page, "find_for_page", lambda number, customer_id=None, granted=(): (
        _orm_order(db, number), True))
    from_orm = client.get(path).text
    return tuple(CSRF_TOKEN.sub("csrf-token", text) for text in (from_read_model, from_orm))


@pytest.fixture
def full_order(make_order, make_customer):
    """An order with every column the page can show set, in both shapes a page takes (in transit, delivered)."""
    customer = make_customer(name="陈伟", email="wei@example.com", timezone="Asia/Shanghai", locale="en")

    def make(**overrides):
        values = {"customer": customer, "carrier": "SF Express", "tracking_number": "SF123", "cross_border": True,
                  "estimated_delivery": date(2026, 3, 8), "shipped_at": datetime(2026, 3, 1, tzinfo=UTC),
                  "last_event_at": utcnow() - timedelta(hours=1), "events": EVENTS,
                  "items": [{"sku": "TSH-001", "name": "T-shirt", "category": "apparel", "price_cents": 2400},
                            {"sku": "EAR-9", "name": "Earrings", "category": "jewellery", "price_cents": 900,
                             "qty": 2, "returnable": False}]}
        values.update(overrides)
        return make_order(**values)

    return make


@pytest.mark.parametrize("overrides", [
    {"status": "in_transit"},
    {"status": "delivered", "delivered_at": utcnow() - timedelta(days=2)},
    {"status": "paid", "shipped_at": None, "cancel_requested_at": utcnow() - timedelta(hours=2)},
], ids=["in transit", "delivered", "cancel requested"])
def test_the_page_from_the_read_model_is_the_page_from_the_orm_order(db, client, monkeypatch, full_order,
                                                                       overrides):
    order = full_order(**overrides)
    sign_in_as(client, order.customer)

    for path in (f"/orders/{order.number}", f"/orders/{order.number}/timeline"):
        from_read_model, from_orm = _both_ways(db, client, monkeypatch, path, order.number)
        monkeypatch.undo()
        assert from_read_model == from_orm
    assert "SF123" in from_read_model and "Hong Kong, HK" in from_read_model


def test_every_value_of_the_read_model_is_the_orm_orders(db, full_order):
    number = full_order(status="delivered", delivered_at=utcnow() - timedelta(days=2)).number

    order, is_owner = page.find_for_page(number, customer_id=None, granted=[_orm_order(db, number).id])
    expected = _orm_order(db, number)

    assert not is_owner
    for field in fields(OrderPage):
        if field.name not in ("customer", "items", "events"):
            assert getattr(order, field.name) == getattr(expected, field.name), field.name
    for copies, originals in ((order.items, expected.items), (order.events, expected.events),
                              ((order.customer,), (expected.customer,))):
        assert len(copies) == len(originals)
        for copy, original in zip(copies, originals, strict=True):
            assert {f.name: getattr(copy, f.name) for f in fields(copy)} == \
                {f.name: getattr(original, f.name) for f in fields(copy)}
