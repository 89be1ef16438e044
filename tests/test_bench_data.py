"""The benchmarks' order generator builds what the order page reads: orders, items and carrier scans."""

from sqlalchemy import func, select

from portal.models import Order, OrderItem, ShipmentEvent
from tests.bench import data as bench_data


def test_synthetic_orders_come_with_their_items_and_scans(db):
    bench_data.generate_orders(50, min_events_per_order=1)

    counts = [db.session.scalar(select(func.count()).select_from(model)) for model in (Order, OrderItem)]
    assert counts == [50, 50]
    assert db.session.scalar(select(func.count()).select_from(ShipmentEvent)) >= 50
