"""flask shop import FILE: the webhook's events, one per line; bad lines reported by number, good ones kept."""

import json

from sqlalchemy import func, select

from portal.models import Order, OutboxRow, ShipmentEvent
from tests.orders.helpers import order_created, shipment


def write_lines(path, lines):
    path.write_text("\n".join(line if isinstance(line, str) else json.dumps(line) for line in lines) + "\n")
    return path


def test_import_applies_good_lines_and_reports_bad_ones_by_number(runner, db, tmp_path):
    bad_item = order_created("W2")
    bad_item["data"]["items"][0]["price_cents"] = "free"
    feed = write_lines(tmp_path / "feed.jsonl", [
        order_created("W1"),
        "{not json",
        shipment("W1", "shipped", "2026-03-02T08:00:00Z", "s1"),
        bad_item,
        "",
        order_created("W1"),  # the same event again
        shipment("W9", "shipped", "2026-03-02T08:00:00Z", "s9"),
    ])

    result = runner.invoke(args=["shop", "import", str(feed)])

    assert result.exit_code == 1
    assert "line 2: malformed JSON" in result.output
    assert "line 4: data.items[0].price_cents: must be an integer" in result.output
    assert "line 7: data.order_number: no order with this number yet" in result.output
    assert "2 applied, 1 already applied, 3 bad lines" in result.output
    assert db.session.scalar(select(Order.status).where(Order.number == "W1")) == "shipped"
    assert db.session.scalar(select(func.count()).select_from(ShipmentEvent)) == 1
    assert db.session.scalar(select(func.count()).select_from(Order)) == 1


def test_import_sends_no_mail_unless_asked(runner, db, tmp_path):
    lines = [order_created("W1"), shipment("W1", "shipped", "2026-03-02T08:00:00Z", "s1")]

    quiet = runner.invoke(args=["shop", "import", str(write_lines(tmp_path / "a.jsonl", lines))])
    assert quiet.exit_code == 0, quiet.output
    assert db.session.scalars(select(OutboxRow)).all() == []

    lines = [shipment("W1", "delivered", "2026-03-04T08:00:00Z", "s2")]
    loud = runner.invoke(args=["shop", "import", "--notify", str(write_lines(tmp_path / "b.jsonl", lines))])
    assert loud.exit_code == 0, loud.output
    assert [row.args[1] for row in db.session.scalars(select(OutboxRow))] == ["delivered"]


def test_import_of_a_missing_file_is_a_clear_error(runner, tmp_path):
    result = runner.invoke(args=["shop", "import", str(tmp_path / "missing.jsonl")])

    assert result.exit_code == 2
    assert "does not exist" in result.output
