"""Fixtures shared by every test: a real database, a real Redis, a mail sink, small factories.

DATABASE_URL and REDIS_URL point the suite at real servers (CI does both); unset, it uses a SQLite
file and the embedded redis-server, so `make test` needs nothing installed.
"""

import email
import itertools
import os
import re
from datetime import timedelta
from email import policy
from pathlib import Path

import pytest
from flask.globals import _cv_app
from flask.testing import FlaskClient
from redis import Redis
from redis.exceptions import RedisError
from sqlalchemy import text

from portal import create_app
from portal.embedded_redis import EmbeddedRedis
from portal.extensions import db as _db
from portal.models import Customer, Order, OrderItem, ShipmentEvent, Staff, utcnow

FAQ_CORPUS_DIR = Path(__file__).resolve().parent / "data" / "faq"
TRANSLATIONS_DIR = Path(__file__).resolve().parent.parent / "portal" / "translations"


@pytest.fixture(scope="session", autouse=True)
def compiled_translations():
    """Compile each .po that is newer than its .mo (which is git-ignored), so `pytest` alone sees edits."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    for po_path in TRANSLATIONS_DIR.glob("*/LC_MESSAGES/messages.po"):
        mo_path = po_path.with_suffix(".mo")
        if not mo_path.exists() or mo_path.stat().st_mtime < po_path.stat().st_mtime:
            with po_path.open("rb") as po_file:
                catalog = read_po(po_file)
            with mo_path.open("wb") as mo_file:
                write_mo(mo_file, catalog)


@pytest.fixture(scope="session")
def database_url(tmp_path_factory):
    return os.environ.get("DATABASE_URL") or f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory):
    if os.environ.get("REDIS_URL"):
        yield os.environ["REDIS_URL"]
        return
    with EmbeddedRedis(tmp_path_factory.mktemp("redis") / "redis.sock") as server:
        yield server.url


@pytest.fixture(scope="session")
def test_environ(database_url, redis_url, tmp_path_factory):
    """The environment the app under test reads, in place of os.environ."""
    base = tmp_path_factory.mktemp("instance")
    return {
        "SECRET_KEY": "test-secret-key-not-for-production",
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "MAIL_URL": f"file://{base / 'mail'}",
        "SEARCH_INDEX_DIR": str(base / "search"),
        "UPLOAD_DIR": str(base / "uploads"),
        "PUBLIC_BASE_URL": "http://portal.test",
        "SHOP_WEBHOOK_SECRET": "test-webhook-secret",
    }


def without_form_token(html):
    """The page with its form token blanked: the token is signed with the current second, so two pages a
    second apart differ there alone."""
    token = re.search(r'"X-CSRFToken": "([^"]+)"', html).group(1)
    return html.replace(token, "TOKEN")


def make_app(environ, **overrides):
    config = {"ENVIRON": environ, "TESTING": True, "WTF_CSRF_ENABLED": False, "RATELIMIT_ENABLED": False}
    config.update(overrides)
    return create_app(config)


@pytest.fixture(scope="session")
def _schema(test_environ):
    """Build the schema once per run through the migrations, so every run also proves they apply."""
    from flask_migrate import upgrade

    app = make_app(test_environ)
    with app.app_context():
        _db.drop_all()
        with _db.engine.begin() as connection:
            connection.execute(text("DROP TABLE IF EXISTS alembic_version"))
        upgrade()
        _db.engine.dispose()
    return True


def _empty_all_tables():
    tables = [table.name for table in reversed(_db.metadata.sorted_tables)]
    with _db.engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
        else:
            for table in tables:
                connection.execute(text(f"DELETE FROM {table}"))


@pytest.fixture
def app(_schema, test_environ, tmp_path):
    environ = dict(test_environ, MAIL_URL=f"file://{tmp_path / 'mail'}",
                   SEARCH_INDEX_DIR=str(tmp_path / "search"), UPLOAD_DIR=str(tmp_path / "uploads"))
    app = make_app(environ)
    with app.app_context():
        yield app
        _db.session.remove()
        _empty_all_tables()
        _db.engine.dispose()
        _empty_redis(app.config["REDIS_URL"])


def _empty_redis(url):
    """What a test left in Redis (claims, counters) must not reach the next test, whose ids start again."""
    try:
        with Redis.from_url(url, socket_connect_timeout=0.5) as connection:
            connection.flushdb()
    except (RedisError, OSError):
        pass  # a test that pointed the app at no Redis at all


@pytest.fixture
def db(app):
    return _db


class IsolatedClient(FlaskClient):
    """Serves each request in its own app context, with its own database session and `g`, as in production.

    The test's session commits what the test set up before the request and starts afresh after it, so a
    view that forgets to commit fails its test instead of passing on the test's uncommitted state.
    """

    def open(self, *args, **kwargs):
        _db.session.commit()
        token = _cv_app.set(None)
        try:
            return super().open(*args, **kwargs)
        finally:
            _cv_app.reset(token)
            _db.session.rollback()


@pytest.fixture
def client(app):
    app.test_client_class = IsolatedClient
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def redis(app):
    connection = Redis.from_url(app.config["REDIS_URL"])
    connection.flushdb()
    yield connection
    connection.flushdb()
    connection.close()


class MailSink:
    """The messages the file sink wrote, parsed."""

    def __init__(self, directory):
        self.directory = Path(directory)

    def messages(self):
        if not self.directory.exists():
            return []
        paths = sorted(self.directory.glob("*.eml"), key=lambda p: p.stat().st_mtime_ns)
        return [email.message_from_bytes(p.read_bytes(), policy=policy.default) for p in paths]

    def to(self, address):
        return [m for m in self.messages() if m["To"] == address]


@pytest.fixture
def mail_sink(app):
    return MailSink(app.config["MAIL_URL"][len("file://"):])


_sequence = itertools.count(1)


@pytest.fixture
def make_customer(db):
    def make(**overrides):
        n = next(_sequence)
        values = {"email": f"customer{n}@example.com", "name": f"Test Customer{n}", "phone": "+1 555 0100",
                  "locale": "en", "timezone": "UTC", "tier": "standard"}
        values.update(overrides)
        customer = Customer(**values)
        db.session.add(customer)
        db.session.commit()
        return customer

    return make


@pytest.fixture
def make_order(db, make_customer):
    def make(customer=None, items=None, events=(), **overrides):
        n = next(_sequence)
        now = utcnow()
        values = {"number": f"T{n:06d}", "customer": customer or make_customer(), "status": "paid",
                  "placed_at": now - timedelta(days=1), "ship_by": now + timedelta(days=1),
                  "shipping_name": "Test Customer", "shipping_address": "1 Test Street, Springfield",
                  "shipping_phone": "+1 555 0100"}
        values.update(overrides)
        order = Order(**values)
        for item in items or [{"sku": "TSH-001", "name": "T-shirt", "category": "apparel", "price_cents": 2400}]:
            order.items.append(OrderItem(**item))
        for index, event in enumerate(events):
            order.events.append(ShipmentEvent(event_id=f"{order.number}-{index}", **event))
        order.total_cents = sum(i.price_cents * (i.qty or 1) for i in order.items)
        db.session.add(order)
        db.session.commit()
        return order

    return make


@pytest.fixture
def make_staff(db):
    def make(role="agent", password="correct horse battery", **overrides):
        n = next(_sequence)
        staff = Staff(email=overrides.pop("email", f"{role}{n}@example.com"), name=f"{role.title()} {n}",
                      role=role, **overrides)
        staff.set_password(password)
        db.session.add(staff)
        db.session.commit()
        return staff

    return make


@pytest.fixture
def customer(make_customer):
    return make_customer(name="Alice Martin", email="alice@example.com")


@pytest.fixture
def agent(make_staff):
    return make_staff("agent")


@pytest.fixture
def lead(make_staff):
    return make_staff("lead")


class SMTPRecorder:
    """An aiosmtpd handler that keeps every message it accepts; `mode` makes it refuse or hang instead,
    clearing `accepting` holds each DATA until it is set again (to stop a sender mid-send), and an address
    in `refused` is turned away at RCPT with a temporary error."""

    def __init__(self):
        import threading

        self.messages = []
        self.mode = "accept"  # accept, refuse, hang
        self.accepting = threading.Event()
        self.accepting.set()
        self.data_started = threading.Event()
        self.abandoned = threading.Event()
        self.refused = set()
        self._lock = threading.Lock()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refused:
            return "450 4.2.1 Mailbox busy, try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        import asyncio

        self.data_started.set()
        try:
            while self.mode == "hang" or not self.accepting.is_set():
                await asyncio.sleep(0.02)
        except asyncio.CancelledError:
            self.abandoned.set()  # the client went away mid-DATA: nothing accepted
            raise
        if self.mode == "refuse":
            return "451 4.3.0 Try again later"
        with self._lock:
            self.messages.append(email.message_from_bytes(envelope.content, policy=policy.default))
        return "250 Message accepted for delivery"

    def to(self, address):
        with self._lock:
            return [m for m in self.messages if m["To"] == address]


@pytest.fixture
def smtp_server(app):
    """A real SMTP server on loopback (aiosmtpd, in a thread) that the app sends through; `.handler` records."""
    import socket

    from aiosmtpd.controller import Controller

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    handler = SMTPRecorder()
    controller = Controller(handler, hostname="127.0.0.1", port=port, enable_SMTPUTF8=True)
    controller.start()
    app.config["MAIL_URL"] = f"smtp://127.0.0.1:{port}"
    app.extensions.pop("portal_mail", None)
    handler.url = app.config["MAIL_URL"]
    yield handler
    handler.mode = "accept"
    handler.accepting.set()
    sender = app.extensions.pop("portal_mail", None)
    if sender is not None:
        sender.close()
    controller.stop()
