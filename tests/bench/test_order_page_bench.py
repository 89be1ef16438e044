"""Benchmark: the signed-in order page and the guest lookup under gunicorn, beside a bare Flask "hello".

All three run on the same gunicorn settings in the same run; each is driven for BENCH_SECONDS by a
closed loop (as fast as it answers: its saturation rate), in BENCH_ROUNDS turns taken in rotation with the
others, then paced at 70 % of that rate to read p99.
The load generator is plain Python (processes x threads with keep-alive connections), so the run needs
nothing installed; it shares the machine's CPUs with the server, which lowers every absolute figure.

Sizes by environment (defaults are the issue's acceptance run):
  BENCH_ORDERS=1000000      synthetic orders (about 5 carrier events each; generated once, then reused)
  BENCH_SECONDS=30          per measurement
  BENCH_ROUNDS=3            turns the saturation runs are split into
  BENCH_CONNECTIONS=16      concurrent connections in the closed loop
  BENCH_WEB_WORKERS=2       gunicorn workers, BENCH_WEB_THREADS=1 thread each (as `flask serve` runs it)
  DATABASE_URL              PostgreSQL to use instead of the SQLite file in instance/bench/
The order page also runs from ORM objects (library_app), which the read model in portal/orders/page.py
must beat by what the target needs.
Quick run: BENCH_ORDERS=20000 BENCH_SECONDS=5 make bench BENCH_ARGS="-k order_page"
"""

import http.client
import math
import multiprocessing
import os
import random
import re
import secrets
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlencode

import pytest
from flask import Flask
from sqlalchemy import func, select, text

from portal import create_app
from portal.embedded_redis import EmbeddedRedis
from portal.extensions import db
from portal.models import Customer, Order, ShipmentEvent
from tests.bench import data as bench_data

PROJECT_ROOT = Path(__file__).resolve().parents[2]
ORDERS = int(os.environ.get("BENCH_ORDERS", "1000000"))
SECONDS = float(os.environ.get("BENCH_SECONDS", "30"))
CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", "16"))
WEB_WORKERS = os.environ.get("BENCH_WEB_WORKERS", "2")
WEB_THREADS = os.environ.get("BENCH_WEB_THREADS", "1")
LOAD_PROCESSES = 2
SAMPLE_ORDERS = 2000
PACED_FRACTION = 0.7
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))
SECRET = "bench-secret-key"


def hello_app():
    """The baseline: a bare Flask app with one endpoint (gunicorn loads it by this factory)."""
    app = Flask("hello")
    app.add_url_rule("/hello", "hello", lambda: "hello")
    return app


def library_app():
    """The portal with the order page read as ORM objects (selectinload), the library's own way."""
    from sqlalchemy.orm import joinedload, selectinload

    from portal.orders import page, service

    def find_for_page(number, customer_id=None, granted=()):
        order = db.session.scalar(
            select(Order).join(Order.customer)
            .where(Order.number == service.normalise_number(number), Customer.anonymised_at.is_(None))
            .options(joinedload(Order.customer), selectinload(Order.items), selectinload(Order.events)))
        if order is None:
            return None, False
        is_owner = isinstance(customer_id, int) and order.customer_id == customer_id
        if not is_owner and order.id not in {i for i in granted or () if isinstance(i, int)}:
            return None, False
        return order, is_owner

    page.find_for_page = find_for_page
    import wsgi  # the same app, logging and frozen collector as the portal's own

    return wsgi.app


# ---- Data ------------------------------------------------------------------------------------------

def _environ(database_url, redis_url, tmp):
    return {"SECRET_KEY": SECRET, "DATABASE_URL": database_url, "REDIS_URL": redis_url,
            "MAIL_URL": f"file://{tmp / 'mail'}", "SEARCH_INDEX_DIR": str(tmp / "search"),
            "UPLOAD_DIR": str(tmp / "uploads"), "PATH": os.environ.get("PATH", "")}


def prepare_data(environ):
    """Generate the synthetic orders once (reused on later runs) and pick a sample to request."""
    from flask_migrate import upgrade

    app = create_app({"ENVIRON": environ})
    with app.app_context():
        upgrade()
        have = db.session.scalar(select(func.count()).select_from(Order).where(Order.number.like("B%")))
        if have < ORDERS:
            started = time.perf_counter()
            # At least 4 of the 6 carrier steps: about 5 events an order, 5 million for a million orders.
            bench_data.generate_orders(ORDERS - have, min_events_per_order=4)
            print(f"\ngenerated {ORDERS - have} orders in {time.perf_counter() - started:.0f} s")
            db.session.execute(text("ANALYZE"))
            db.session.commit()
        events = db.session.scalar(select(func.count()).select_from(ShipmentEvent))
        low, high = db.session.execute(select(func.min(Order.id), func.max(Order.id))).one()
        rng = random.Random(4)
        ids = [rng.randint(low, high) for _ in range(SAMPLE_ORDERS)]
        sample = db.session.execute(
            select(Order.number, Order.customer_id, Customer.email).join(Customer, Order.customer_id == Customer.id)
            .where(Order.id.in_(ids))
        ).all()
        serializer = app.session_interface.get_signing_serializer(app)
        # What a signed-in customer's browser carries once it has shown them a page (the form token included).
        # Signed in and seen just now: no page of the run outlasts the idle time-out.
        now = int(time.time())
        cookies = {cid: serializer.dumps({"customer_id": cid, "sid": f"bench-{cid}", "locale": "en",
                                          "customer_signed_in_at": now, "customer_seen_at": now,
                                          "_permanent": True, "csrf_token": secrets.token_hex(20)})
                   for _, cid, _ in sample}
        dialect = db.engine.dialect.name
    return sample, cookies, events, dialect


# ---- Servers ---------------------------------------------------------------------------------------

def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Gunicorn:
    """One gunicorn on a free loopback port, with the settings `flask serve` uses."""

    def __init__(self, app_spec, environ):
        self.port = _free_port()
        env = dict(os.environ, **environ)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", app_spec, "--bind", f"127.0.0.1:{self.port}",
             "--workers", WEB_WORKERS, "--threads", WEB_THREADS, "--log-level", "warning"],
            cwd=PROJECT_ROOT, env=env, start_new_session=True,
        )

    def wait_until_up(self, path, timeout=60):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {self.process.returncode}")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}{path}", timeout=2):
                    return self
            except OSError:
                time.sleep(0.3)
        raise RuntimeError("gunicorn did not come up")

    def stop(self):
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


# ---- Load generator --------------------------------------------------------------------------------

def _connection(port):
    return http.client.HTTPConnection("127.0.0.1", port, timeout=10)


def _lookup_session(port):
    """A guest's browser session: the cookie and CSRF token the lookup form hands out."""
    connection = _connection(port)
    connection.request("GET", "/orders/track")
    response = connection.getresponse()
    body = response.read().decode()
    cookie = response.getheader("Set-Cookie").split(";", 1)[0]
    token = re.search(r'name="csrf_token" value="([^"]+)"', body).group(1)
    connection.close()
    return cookie, token


def _make_requester(kind, port, targets, rng):
    """A function sending one request of `kind` on a kept-alive connection; returns the status."""
    state = {"connection": _connection(port)}
    # Like a browser, each signed-in customer sends back the session cookie the server last set.
    jar = {}
    if kind == "lookup":
        cookie, token = _lookup_session(port)

    def send():
        if kind == "hello":
            method, path, body, headers = "GET", "/hello", None, {}
        elif kind == "order_page":
            number, cookie_value = rng.choice(targets)
            method, path, body = "GET", f"/orders/{number}", None
            headers = {"Cookie": jar.get(number, f"session={cookie_value}")}
        else:
            number, email = rng.choice(targets)
            method, path = "POST", "/orders/track"
            body = urlencode({"number": number, "email": email, "csrf_token": token})
            headers = {"Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded",
                       "Referer": f"http://127.0.0.1:{port}/orders/track"}
        try:
            state["connection"].request(method, path, body=body, headers=headers)
            response = state["connection"].getresponse()
            response.read()
            if kind == "order_page" and response.getheader("Set-Cookie"):
                jar[number] = response.getheader("Set-Cookie").split(";", 1)[0]
            if response.getheader("Connection", "").lower() == "close":
                state["connection"].close()
            return response.status
        except (OSError, http.client.HTTPException):
            state["connection"].close()
            state["connection"] = _connection(port)
            return 0

    return send


def _load_process(kind, port, targets, threads, seconds, rate, seed, queue):
    """Closed loop (rate None) or paced at `rate` requests/s over all threads of this process."""
    results = []
    start_at = time.perf_counter() + 0.5

    def run(index):
        rng = random.Random(seed * 1000 + index)
        send = _make_requester(kind, port, targets, rng)
        latencies, statuses = [], {}
        time.sleep(max(0.0, start_at - time.perf_counter()))
        end = start_at + seconds
        n = 0
        while True:
            if rate:
                # Measured from when the request was due, so a stalled server cannot hide its queue.
                due = start_at + (n * threads + index) / rate
                if due >= end:
                    break
                time.sleep(max(0.0, due - time.perf_counter()))
            else:
                due = time.perf_counter()
                if due >= end:
                    break
            status = send()
            latencies.append(time.perf_counter() - due)
            statuses[status] = statuses.get(status, 0) + 1
            n += 1
        results.append((latencies, statuses))

    workers = [threading.Thread(target=run, args=(i,)) for i in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    latencies = [value for lat, _ in results for value in lat]
    statuses = {}
    for _, counts in results:
        for status, number in counts.items():
            statuses[status] = statuses.get(status, 0) + number
    queue.put((latencies, statuses))


def drive(kind, port, targets, seconds, rate=None):
    """Run the load for `seconds`; returns (requests/s, p50 ms, p99 ms, statuses)."""
    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    threads = max(1, CONNECTIONS // LOAD_PROCESSES)
    per_process_rate = rate / LOAD_PROCESSES if rate else None
    processes = [context.Process(target=_load_process,
                                 args=(kind, port, targets, threads, seconds, per_process_rate, p, queue))
                 for p in range(LOAD_PROCESSES)]
    for process in processes:
        process.start()
    collected = [queue.get(timeout=seconds + 120) for _ in processes]
    for process in processes:
        process.join()
    latencies = sorted(value for lat, _ in collected for value in lat)
    statuses = {}
    for _, counts in collected:
        for status, number in counts.items():
            statuses[status] = statuses.get(status, 0) + number

    def percentile(p):
        return latencies[min(len(latencies) - 1, math.ceil(p * len(latencies)) - 1)] * 1000

    return len(latencies) / seconds, percentile(0.50), percentile(0.99), statuses


def measure(endpoints):
    """Saturation of each endpoint in ROUNDS turns taken in rotation, then p99 paced at 70 % of it.

    Taking turns spreads every endpoint over the same stretch of time, so a shared machine that speeds up or
    slows down while the run goes on moves the baseline and the pages alike, and the ratio stays fair.
    """
    counts = dict.fromkeys(endpoints, 0)
    statuses = {name: {} for name in endpoints}
    round_rates = {name: [] for name in endpoints}
    turn = SECONDS / ROUNDS
    for _ in range(ROUNDS):
        for name, (kind, port, targets, _expected) in endpoints.items():
            rps, _p50, _p99, answers = drive(kind, port, targets, turn)
            counts[name] += rps * turn
            round_rates[name].append(rps)
            for status, number in answers.items():
                statuses[name][status] = statuses[name].get(status, 0) + number
    results = {}
    for name, (kind, port, targets, expected) in endpoints.items():
        saturation = counts[name] / SECONDS
        achieved, p50, p99, paced = drive(kind, port, targets, SECONDS, rate=saturation * PACED_FRACTION)
        for answers in (statuses[name], paced):
            assert set(answers) == {expected}, f"{name}: unexpected answers {answers}"
        results[name] = {"rps": saturation, "paced": achieved, "p50": p50, "p99": p99,
                         "rounds": round_rates[name]}
    return results


# ---- The benchmark ---------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def bench_environ(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("order-bench")
    data_dir = PROJECT_ROOT / "instance" / "bench"
    data_dir.mkdir(parents=True, exist_ok=True)
    database_url = os.environ.get("DATABASE_URL") or f"sqlite:///{data_dir / f'orders-{ORDERS}.db'}"
    if os.environ.get("REDIS_URL"):
        yield _environ(database_url, os.environ["REDIS_URL"], tmp)
        return
    with EmbeddedRedis(tmp / "redis.sock") as redis_server:
        yield _environ(database_url, redis_server.url, tmp)


def test_order_page_and_guest_lookup_against_hello(bench_environ):
    sample, cookies, events, dialect = prepare_data(bench_environ)
    page_targets = [(number, cookies[cid]) for number, cid, _ in sample]
    lookup_targets = [(number, email) for number, _, email in sample]
    hello = Gunicorn("tests.bench.test_order_page_bench:hello_app()", bench_environ)
    portal = Gunicorn("wsgi:app", bench_environ)
    library = Gunicorn("tests.bench.test_order_page_bench:library_app()", bench_environ)
    try:
        hello.wait_until_up("/hello")
        portal.wait_until_up("/orders/track")
        library.wait_until_up("/orders/track")
        results = measure({
            "hello": ("hello", hello.port, [], 200),
            "order page (signed in)": ("order_page", portal.port, page_targets, 200),
            "order page, ORM": ("order_page", library.port, page_targets, 200),
            "guest lookup": ("lookup", portal.port, lookup_targets, 303),
        })
    finally:
        hello.stop()
        portal.stop()
        library.stop()

    base = results["hello"]["rps"]
    print(f"\n\norder page benchmark: {dialect}, {ORDERS:,} orders, {events:,} shipment events; "
          f"{SECONDS:.0f} s per endpoint in {ROUNDS} turns each, then {SECONDS:.0f} s paced; "
          f"gunicorn {WEB_WORKERS} workers x {WEB_THREADS} threads; {CONNECTIONS} connections; "
          f"{os.cpu_count()} CPUs shared with the load generator")
    print(f"{'endpoint':<24}{'saturation req/s':>18}{'vs hello':>10}{'per turn':>18}{'paced at 70 %':>16}"
          f"{'p50 ms':>9}{'p99 ms':>9}")
    for name, r in results.items():
        # Each turn beside the baseline's turn taken just before it.
        turns = [rate / hello_rate for rate, hello_rate in zip(r["rounds"], results["hello"]["rounds"], strict=True)]
        spread = f"{min(turns):.0%}-{max(turns):.0%}"
        print(f"{name:<24}{r['rps']:>18.0f}{r['rps'] / base:>10.0%}{spread:>18}{r['paced']:>16.0f}"
              f"{r['p50']:>9.1f}{r['p99']:>9.1f}")
    print("target: order page >= 25 % of hello, p99 <= 50 ms at 70 % of saturation")
    ours, orm = results["order page (signed in)"]["rps"], results["order page, ORM"]["rps"]
    verdict = "kept: the ORM way misses the target" if orm / base < 0.25 else "the ORM way meets the target alone"
    print(f"read model (portal/orders/page.py) against ORM objects: {ours / orm:.2f}x req/s "
          f"({ours / base:.0%} against {orm / base:.0%} of hello); {verdict}\n")
