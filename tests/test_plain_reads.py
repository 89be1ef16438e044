"""Plain reads: the same values as SQLAlchemy's own results, and the pooled connection left as it was found."""

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import bindparam, select, text

from portal.models import Customer, Order, OrderItem
from portal.plain_reads import PlainQuery, plain_cursor

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
