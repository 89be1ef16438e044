"""SQLite has one writer at a time: a request that waits out the busy timeout is asked to retry, not given a 500."""

import sqlite3

import pytest
from sqlalchemy import select

from portal.models import Order
from tests.orders.helpers import order_created, post_event


def test_a_webhook_that_finds_the_database_locked_gets_503_and_its_retry_is_applied(app, client, db):
    if db.engine.dialect.name != "sqlite":
        pytest.skip("PostgreSQL waits for row locks; only SQLite locks the whole database for a writer")
    holder = sqlite3.connect(db.engine.url.database, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another writer holds the database past the busy timeout
    try:
        refused = post_event(client, order_created(number="W7001"))
    finally:
        holder.rollback()
        holder.close()

    assert refused.status_code == 503
    assert refused.headers["Retry-After"] == "2"
    assert "internal error" not in refused.get_data(as_text=True)
    retried = post_event(client, order_created(number="W7001"))
    assert retried.status_code == 200
    assert db.session.scalar(select(Order.number).where(Order.number == "W7001")) == "W7001"
