"""Benchmark: what each rendering speed-up buys against the library's own way, in the same run.

In-process (Flask test client: routing, session, queries, templates; no network), the signed-in order page and
the help home page are requested in turns: with every speed-up on, and with each in turn replaced by the
library's way. Beside them, loops over the call each speed-up replaces. A gain well under a millisecond a page
and under ~10 % of the page's time is not one a user notices.

Sizes by environment:
  BENCH_SPEEDUP_PAGES=500   requests of each page per variant (median CPU time of one request)
Quick run: make bench BENCH_ARGS="-k speedup"
"""

import os
import statistics
import time
from datetime import UTC, datetime, timedelta

import pytest
from babel import dates as babel_dates
from flask import g
from flask_wtf.csrf import generate_csrf

from portal import create_app, formatting, web
from portal.embedded_redis import EmbeddedRedis
from portal.extensions import db
from portal.i18n import locale_tag
from portal.models import Customer, Order, OrderItem, ShipmentEvent

PAGES = int(os.environ.get("BENCH_SPEEDUP_PAGES", "500"))
CALLS = 2000
NOTICEABLE_MS = 1.0
NOTICEABLE_SHARE = 0.10


def _babel_format(kind, value, format):
    format_kind = {"datetime": babel_dates.format_datetime, "date": babel_dates.format_date,
                   "time": babel_dates.format_time}[kind]
    return format_kind(value, format, locale=locale_tag())


def _render_every_time(_extension, _key, caller):
    return caller()


# Each item: how to put the library's way in place of ours on a running app.
LIBRARY_WAYS = {
    "form token (flask-wtf generate_csrf)": lambda app, patch: patch.setattr(web, "form_token", generate_csrf),
    "template url_for (Flask's own)": lambda app, patch: patch.setitem(app.jinja_env.globals, "url_for",
                                                                        app.url_for),
    "layout {% cache %} (render each time)": lambda app, patch: patch.setattr(web.LayoutCache, "_cached",
                                                                               _render_every_time),
    "dates (babel.dates.format_*)": lambda app, patch: patch.setattr(formatting, "_format", _babel_format),
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
        customer_id = db.session.get(Customer, order.customer_id).id
    client = app.test_client()
    with client.session_transaction() as session:
        now = int(time.time())
        session.update(customer_id=customer_id, customer_signed_in_at=now, customer_seen_at=now, sid="bench",
                       locale="en", csrf_token="a" * 40)
    return client


PAGES_SHOWN = {"order page": "/orders/S100001", "help home": "/"}


def _variant_times(app, client, monkeypatch):
    """Per page and variant, the median CPU time of a request. The variants take turns request by request,
    and CPU time leaves out the waits a machine shared with other work adds to wall time."""
    variants = {"all speed-ups on": None, **LIBRARY_WAYS}
    samples = {(variant, page): [] for variant in variants for page in PAGES_SHOWN}
    for path in PAGES_SHOWN.values():
        client.get(path)  # compiled templates and warm caches for every variant
    for _ in range(PAGES):
        for variant, library_way in variants.items():
            with monkeypatch.context() as patch:
                if library_way:
                    library_way(app, patch)
                for page, path in PAGES_SHOWN.items():
                    started = time.process_time()
                    response = client.get(path)
                    samples[(variant, page)].append((time.process_time() - started) * 1000)
                    assert response.status_code == 200
    return {key: statistics.median(values) for key, values in samples.items()}


def _call_us(call):
    started = time.process_time()
    for _ in range(CALLS):
        call()
    return (time.process_time() - started) * 1e6 / CALLS


def _call_loops(app):
    """Microseconds per call, each speed-up's own way beside the library's, in fresh request contexts where
    the call remembers its answer for the request."""
    value = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)

    def in_request(call):
        def run():
            with app.test_request_context("/"):
                from flask import session
                session["csrf_token"] = "a" * 40
                call()
        return run

    with app.test_request_context("/"):
        g.timezone = "Asia/Shanghai"
        loops = {
            "datetimeformat medium": (lambda: babel_dates.format_datetime(
                formatting.to_user_timezone(value), "medium", locale=locale_tag()),
                lambda: formatting.format_datetime(value, "medium")),
            "dateformat full": (lambda: babel_dates.format_date(value, "full", locale=locale_tag()),
                                lambda: formatting.format_date(value, "full")),
            "url_for nav link": (lambda: app.url_for("orders.track"), lambda: web._template_url_for("orders.track")),
        }
        figures = {name: (_call_us(library), _call_us(ours)) for name, (library, ours) in loops.items()}
    empty_request = _call_us(in_request(lambda: None))
    figures["form token (less an empty request)"] = (_call_us(in_request(generate_csrf)) - empty_request,
                                                     _call_us(in_request(web.form_token)) - empty_request)
    return figures


def test_speedups_against_the_library_way(app, signed_in, monkeypatch):
    times = _variant_times(app, signed_in, monkeypatch)
    loops = _call_loops(app)

    print(f"\n\nrendering speed-ups: in-process, {PAGES} requests per page and variant in turns, median CPU ms; "
          f"load average {os.getloadavg()[0]:.1f}")
    print(f"{'item':<40}{'page':<12}{'library ms':>11}{'ours ms':>9}{'gain ms':>9}{'gain':>7}  decision")
    for item in LIBRARY_WAYS:
        for page in PAGES_SHOWN:
            library, ours = times[(item, page)], times[("all speed-ups on", page)]
            gain = library - ours
            noticeable = gain >= NOTICEABLE_MS or gain / library >= NOTICEABLE_SHARE
            print(f"{item:<40}{page:<12}{library:>11.3f}{ours:>9.3f}{gain:>9.3f}{gain / library:>7.1%}  "
                  f"{'keep' if noticeable else 'library way'}")
    print(f"\n{'call':<40}{'library us':>11}{'ours us':>9}")
    for name, (library, ours) in loops.items():
        print(f"{name:<40}{library:>11.1f}{ours:>9.1f}")
    print(f"noticeable: a gain of >= {NOTICEABLE_MS} ms or >= {NOTICEABLE_SHARE:.0%} of the page's time\n")
