"""Benchmark: the most a rendering speed-up could save on a page, measured against the page in the same run.

Pages render links with Flask's url_for, form tokens with flask-wtf's generate_csrf, dates with babel.dates,
and the whole layout on every page. Replacing any of these by something quicker can save at most what it
costs; here each is made free in turn (a constant answer, or no layout at all) and the page is timed beside
the unchanged page. A ceiling under a millisecond a page, or under 10 % of the page's time, is a gain no
user notices: not worth a copy of a library's internals.

Speed-ups of all four were measured against the library's way by this benchmark's first version (2026-12-07,
two runs at load average 7.7 and 8.7 on 2 cores), on the order page, in median CPU of a request of 2.3-3.4 ms:
a url_for memo 0.07 ms or nothing (<= 2 %), the form token re-signed with flask-wtf's salt 0.08-0.15 ms (3-4 %),
{% cache %} blocks for the layout's header, nav and footer 0.10-0.19 ms (4-5 %), dates from hand-split Babel
patterns 0.23-0.29 ms (8-9 %); all four together 0.46 ms (16.5 %). None alone a gain anyone notices: all
four were removed.

In-process (Flask test client: routing, session, queries, templates; no network); the variants take turns
request by request, and CPU time leaves out the waits a machine shared with other work adds to wall time.
  BENCH_SPEEDUP_PAGES=500   requests of each page per variant (the median is printed)
Quick run: make bench BENCH_ARGS="-k speedup"
"""

import os
import statistics
import time
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import flask_wtf.csrf
import pytest
from flask import render_template_string

from portal import create_app, formatting
from portal.embedded_redis import EmbeddedRedis
from portal.extensions import db
from portal.models import Customer, Order, OrderItem, ShipmentEvent

PAGES = int(os.environ.get("BENCH_SPEEDUP_PAGES", "500"))
NOTICEABLE_MS = 1.0
NOTICEABLE_SHARE = 0.10
PAGES_SHOWN = {"order page": "/orders/S100001", "help home": "/"}
FREE_DATES = SimpleNamespace(format_datetime=lambda *args, **kwargs: "",
                             format_date=lambda *args, **kwargs: "", format_time=lambda *args, **kwargs: "")

# Each library way, and how to make it free on a running app.
MADE_FREE = {
    "url_for (Flask)": lambda app, patch: patch.setitem(app.jinja_env.globals, "url_for",
                                                         lambda endpoint, **values: "/"),
    "form token (flask-wtf generate_csrf)": lambda app, patch: patch.setattr(flask_wtf.csrf, "generate_csrf",
                                                                              lambda: "token"),
    "dates (babel.dates)": lambda app, patch: patch.setattr(formatting, "babel_dates", FREE_DATES),
    # Read on every page for the footer; a layout cache cannot skip it, as a changed setting shows at once.
    "footer's promise (a settings read)": lambda app, patch: patch.setitem(app.jinja_env.globals, "response_promise",
                                                                            lambda urgency: "1 hour"),
}


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    from flask_migrate import upgrade

    tmp = tmp_path_factory.mktemp("speedups")
    with EmbeddedRedis(tmp / "redis.sock") as redis_server:
        app = create_app({"ENVIRON": {
            "SECRET_KEY": "bench-secret-key", "DATABASE_URL": f"sqlite:///{tmp / 'bench.db'}",
            "REDIS_URL": redis_server.url, "MAIL_URL": f"file://{tmp / 'mail'}",
            "SEARCH_INDEX_DIR": str(tmp / "search"), "UPLOAD_DIR": str(tmp / "uploads"),
        }, "RATELIMIT_ENABLED": False})
        # The layout with nothing in it, beside no template at all: what the layout costs a page.
        app.add_url_rule("/bench/layout", "bench_layout", lambda: render_template_string('{% extends "base.html" %}'))
        app.add_url_rule("/bench/bare", "bench_bare", lambda: render_template_string(""))
        with app.app_context():
            upgrade()
        yield app


@pytest.fixture(scope="module")
def signed_in(app):
    """A customer with an order in transit (two items, five carrier events), signed in with a form token."""
    with app.app_context():
        customer = Customer(email="bench@example.com", name="Bench Customer", locale="en",
                            timezone="Asia/Shanghai", tier="standard")
        placed = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)
        order = Order(number="S100001", customer=customer, status="in_transit", placed_at=placed,
                      ship_by=placed + timedelta(days=2), shipping_name="Bench Customer",
                      shipping_address="1 Test Street, Springfield", shipping_phone="+1 555 0100",
                      total_cents=4800, currency="EUR", last_event_at=placed + timedelta(days=3))
        for n in range(2):
            order.items.append(OrderItem(sku=f"SKU-{n}", name=f"Item {n}", category="apparel", price_cents=2400))
        for n, status in enumerate(["label_created", "shipped", "in_transit", "in_transit", "in_transit"]):
            order.events.append(ShipmentEvent(event_id=f"S100001-{n}", status=status, location="Hub",
                                              description="Scanned", occurred_at=placed + timedelta(hours=10 * n)))
        db.session.add(order)
        db.session.commit()
        customer_id = order.customer_id
    client = app.test_client()
    with client.session_transaction() as session:
        now = int(time.time())
        session.update(customer_id=customer_id, customer_signed_in_at=now, customer_seen_at=now, sid="bench",
                       locale="en", csrf_token="a" * 40)
    return client


def _median_cpu_ms(app, client, monkeypatch, variants, paths):
    """Per (variant, path), the median CPU time of a request; the variants take turns request by request."""
    samples = {(variant, path): [] for variant in variants for path in paths}
    for path in paths:
        client.get(path)  # compiled templates
    for _ in range(PAGES):
        for variant, make_free in variants.items():
            with monkeypatch.context() as patch:
                if make_free:
                    make_free(app, patch)
                for path in paths:
                    started = time.process_time()
                    response = client.get(path)
                    samples[(variant, path)].append((time.process_time() - started) * 1000)
                    assert response.status_code == 200
    return {key: statistics.median(values) for key, values in samples.items()}


def test_speedup_ceilings_against_the_page(app, signed_in, monkeypatch):
    pages = _median_cpu_ms(app, signed_in, monkeypatch, {"as served": None, **MADE_FREE}, PAGES_SHOWN.values())
    # A guest's layout: a signed-in header would add the reading of the customer, which no cache could hold.
    layout = _median_cpu_ms(app, app.test_client(), monkeypatch, {"as served": None},
                            ["/bench/layout", "/bench/bare"])

    rows = [(item, page, pages[("as served", path)], pages[("as served", path)] - pages[(item, path)])
            for item in MADE_FREE for page, path in PAGES_SHOWN.items()]
    layout_ms = layout[("as served", "/bench/layout")] - layout[("as served", "/bench/bare")]
    promise_ms = statistics.mean(cost for item, _page, _page_ms, cost in rows if item.startswith("footer"))
    rows += [(f"layout{label}", page, pages[("as served", path)], cost) for page, path in PAGES_SHOWN.items()
             for label, cost in [(" rendered whole", layout_ms), (", less the settings read", layout_ms - promise_ms)]]
    print(f"\n\nrendering speed-up ceilings: in-process, {PAGES} requests per page and variant in turns, median "
          f"CPU ms; load average {os.getloadavg()[0]:.1f}")
    print(f"{'library way':<40}{'page':<12}{'page ms':>9}{'its cost ms':>13}{'share':>8}  decision")
    for item, page, page_ms, cost in rows:
        worth = cost >= NOTICEABLE_MS and cost / page_ms >= NOTICEABLE_SHARE
        print(f"{item:<40}{page:<12}{page_ms:>9.3f}{cost:>13.3f}{cost / page_ms:>8.1%}  "
              f"{'a speed-up could be noticed' if worth else 'library way'}")
    print(f"noticeable: >= {NOTICEABLE_MS} ms and >= {NOTICEABLE_SHARE:.0%} of the page's CPU time\n")
