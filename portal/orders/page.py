"""The order page's read model: plain rows from the driver's cursor into frozen copies of the Order model.

The busiest page only shows one order; it needs none of the ORM's identity map and change tracking, nor
Core's Connection and Result. Measured in one `make bench` run (tests/bench/test_order_page_bench.py, SQLite,
1,000,000 orders, 2 gunicorn workers on 2 cores at load average 11): this read 72 req/s, 21 % of hello's;
the same page from ORM objects with joinedload/selectinload 51 req/s, 15 % (1.4x; at 100,000 orders 20 %
against 13 %). The README's target (>= 25 % of hello) needs the difference. In-process, find_for_page takes
0.35 ms against 9 ms the ORM way.

The copies keep the model's names, so the order rules (portal/orders/service.py, the returns policy) read
either. A column the page shows must be named here as well: tests/orders/test_page_read.py renders the page
from this copy and from the ORM object and wants the same HTML.
"""

from contextlib import contextmanager
from dataclasses import dataclass, fields
from datetime import date, datetime

from sqlalchemy import bindparam, select

from portal.extensions import db
from portal.models import Customer, Order, OrderItem, ShipmentEvent
from portal.order_lookup import normalise_number


class PlainQuery:
    """A SELECT whose rows come back as tuples, already converted by the columns' types.

    The statement is written with Core and compiled once per database; each column keeps its type's own
    conversion (SQLite's text dates, UTC zones, booleans).
    """

    def __init__(self, statement):
        self.statement = statement
        self._prepared = {}

    def _prepare(self, dialect):
        compiled = self.statement.compile(dialect=dialect)
        # Positional drivers (SQLite) take the values in the order the SQL names them.
        names = compiled.positiontup
        converters = [column.type.dialect_impl(dialect).result_processor(dialect, None)
                      for column in self.statement.selected_columns]
        converting = [(index, convert) for index, convert in enumerate(converters) if convert is not None]
        prepared = self._prepared[dialect.name] = (compiled.string, names, converting)
        return prepared

    def rows(self, cursor, parameters):
        """All rows for `parameters` (a dict by bind name), on a cursor from plain_cursor()."""
        dialect = db.engine.dialect
        sql, names, converting = self._prepared.get(dialect.name) or self._prepare(dialect)
        cursor.execute(sql, tuple(parameters[name] for name in names) if names is not None else parameters)
        rows = cursor.fetchall()
        if not converting:
            return rows
        converted = []
        for row in rows:
            row = list(row)
            for index, convert in converting:
                row[index] = convert(row[index])
            converted.append(row)
        return converted


@contextmanager
def plain_cursor():
    """A driver cursor on a pooled connection; on PostgreSQL its reads run outside any transaction.

    Without a transaction there is no BEGIN and no ROLLBACK round trip, and psycopg keeps the statements it
    prepares (a ROLLBACK discards them). Reads a moment apart may then see different commits, which pages that
    show one order do not mind.
    """
    engine = db.engine
    connection = engine.raw_connection()
    driver = connection.driver_connection
    autocommit = engine.dialect.name == "postgresql"
    try:
        if autocommit:
            driver.autocommit = True
        cursor = connection.cursor()
        try:
            yield cursor
        finally:
            cursor.close()
    finally:
        if autocommit:
            driver.autocommit = False  # the pool hands it next to code that expects transactions
        # Back to the pool, whose reset on return finds a connection that broke meanwhile and drops it.
        connection.close()


@dataclass(frozen=True, slots=True)
class PageCustomer:
    id: int
    name: str
    email: str
    timezone: str


@dataclass(frozen=True, slots=True)
class PageItem:
    id: int
    sku: str
    name: str
    category: str
    price_cents: int
    qty: int
    returnable: bool


@dataclass(frozen=True, slots=True)
class PageEvent:
    id: int
    status: str
    location: str
    description: str
    occurred_at: datetime


@dataclass(frozen=True, slots=True)
class OrderPage:
    """One order as its page shows it; the same names as the Order model, so the rules read either."""

    id: int
    number: str
    customer_id: int
    status: str
    currency: str
    total_cents: int
    shipping_name: str
    shipping_address: str
    shipping_phone: str
    cross_border: bool
    carrier: str
    tracking_number: str
    placed_at: datetime
    ship_by: datetime | None
    shipped_at: datetime | None
    estimated_delivery: date | None
    delivered_at: datetime | None
    last_event_at: datetime | None
    cancel_requested_at: datetime | None
    customer: PageCustomer
    items: tuple
    events: tuple  # newest first


def _columns(view, model, skip=()):
    return [model.__table__.c[field.name] for field in fields(view) if field.name not in skip]


ORDER_COLUMNS = _columns(OrderPage, Order, skip=("customer", "items", "events"))
CUSTOMER_COLUMNS = _columns(PageCustomer, Customer)
ITEM_COLUMNS = _columns(PageItem, OrderItem)


# The page's reads: the order with its customer and items (one row per item), then its carrier events.
ORDER_WITH_ITEMS = PlainQuery(
    select(*ORDER_COLUMNS, *CUSTOMER_COLUMNS, *ITEM_COLUMNS)
    .select_from(Order.__table__.join(Customer.__table__).outerjoin(OrderItem.__table__))
    .where(Order.number == bindparam("number"), Customer.anonymised_at.is_(None))
    .order_by(OrderItem.id)
)
ORDER_EVENTS = PlainQuery(
    select(*_columns(PageEvent, ShipmentEvent))
    .where(ShipmentEvent.order_id == bindparam("order_id"))
    .order_by(ShipmentEvent.occurred_at.desc(), ShipmentEvent.id.desc())
)
_CUSTOMER_ID = ORDER_COLUMNS.index(Order.__table__.c.customer_id)


def find_for_page(number, customer_id=None, granted=()):
    """(order, is_owner) for its page: the order if it belongs to `customer_id` (a signed-in customer) or is
    among the `granted` ids of a guest's session, else (None, False)."""
    with plain_cursor() as cursor:
        rows = ORDER_WITH_ITEMS.rows(cursor, {"number": normalise_number(number)})
        if not rows:
            return None, False
        first = rows[0]
        is_owner = isinstance(customer_id, int) and first[_CUSTOMER_ID] == customer_id
        if not is_owner and first[0] not in {i for i in granted or () if isinstance(i, int)}:
            return None, False
        event_rows = ORDER_EVENTS.rows(cursor, {"order_id": first[0]})
    order_end = len(ORDER_COLUMNS)
    customer_end = order_end + len(CUSTOMER_COLUMNS)
    items = tuple(PageItem(*row[customer_end:]) for row in rows if row[customer_end] is not None)
    order = OrderPage(*first[:order_end], customer=PageCustomer(*first[order_end:customer_end]), items=items,
                      events=tuple(PageEvent(*row) for row in event_rows))
    return order, is_owner
