"""Webhooks to the shop, sent by the real worker through real Redis to a real HTTP server on loopback.

The promise: every decision reaches each endpoint at least once, signed like the shop's own webhooks to us,
with one Idempotency-Key per event and endpoint that every retry and resend repeats, so the shop applies it
once; retries wait longer each time for more than a day, then the delivery is marked failed.
"""

import signal
from datetime import timedelta

import pytest
from sqlalchemy import select

from portal.admin import endpoints
from portal.jobs import JOBS
from portal.models import OutboxRow, ShopDelivery, ShopEndpoint, utcnow
from portal.orders import service as orders
from portal.orders.webhook import signature_problem
from tests.worker.shop import ShopServer
from tests.worker.test_faults import _start_worker, _stop, _wait_for
from worker import relay, runtime

pytestmark = pytest.mark.integration
SECRET = "whsec_test-shop-secret"


@pytest.fixture
def shop(app):
    app.config["SHOP_HOOK_ALLOW_PRIVATE"] = True  # the shop stands on loopback
    server = ShopServer(SECRET).start()
    yield server
    server.stop()


@pytest.fixture
def endpoint(db, shop):
    endpoint = ShopEndpoint(url=shop.url, secret=SECRET, event_types=["order.cancel_requested", "return.approved"],
                            active=True)
    db.session.add(endpoint)
    db.session.commit()
    return endpoint


@pytest.fixture
def cancelled(db, make_order, customer, endpoint):
    """A customer asked to cancel an unshipped order: one delivery to the shop is waiting."""
    order = make_order(customer=customer, status="paid")
    orders.cancel(order, utcnow())
    db.session.commit()
    return order


def _delivery(db):
    db.session.expire_all()
    [delivery] = db.session.scalars(select(ShopDelivery)).all()
    return delivery


def _outbox_row(db, delivery):
    db.session.expire_all()
    return db.session.scalar(select(OutboxRow).where(OutboxRow.key == delivery.outbox_key))


def test_a_delivery_arrives_signed_and_the_shop_can_verify_it(app, db, redis, shop, cancelled):
    runtime.run(app, burst=True)

    [(headers, body, problem)] = shop.requests
    delivery = _delivery(db)
    assert problem is None, problem
    assert signature_problem("another secret", headers["X-Timestamp"], headers["X-Signature"], body,
                             int(headers["X-Timestamp"]), 300) == "signature does not match"
    assert headers["Idempotency-Key"] == delivery.idempotency_key
    assert headers["X-Event-Type"] == "order.cancel_requested"
    assert headers["Content-Type"] == "application/json"
    [event] = shop.bodies()
    assert event["type"] == "order.cancel_requested" and event["id"] == delivery.event_id
    assert event["data"]["order"] == cancelled.number
    assert event["data"]["customer_email"] == "alice@example.com"
    assert (delivery.attempts, delivery.last_status_code, delivery.last_error) == (1, 200, "")
    assert delivery.delivered_at is not None
    assert _outbox_row(db, delivery).status == "done"


def test_the_shop_answering_500_twice_then_200_gets_one_accepted_delivery_per_key(app, db, redis, shop, cancelled):
    shop.answers = [500, 500]
    delays = app.config["SHOP_HOOK_RETRY_DELAYS"]

    runtime.run(app, burst=True)
    delivery = _delivery(db)
    assert (delivery.attempts, delivery.last_status_code, delivery.delivered_at) == (1, 500, None)
    assert delivery.last_error.startswith("HTTP 500")
    [log_row] = endpoints.delivery_log(delivery.endpoint)
    assert log_row.state == "retrying" and log_row.next_attempt > utcnow() + delays[0] - timedelta(seconds=5)

    runtime.run(app, burst=True, now=utcnow() + delays[0] + timedelta(seconds=1))
    assert _delivery(db).attempts == 2
    runtime.run(app, burst=True, now=utcnow() + delays[1] + timedelta(seconds=1))
    runtime.run(app, burst=True, now=utcnow() + timedelta(days=2))  # nothing is left to send

    delivery = _delivery(db)
    assert shop.keys() == [delivery.idempotency_key] * 3
    assert shop.accepted == {delivery.idempotency_key: 1}
    assert (delivery.attempts, delivery.last_status_code, delivery.last_error) == (3, 200, "")
    assert endpoints.delivery_log(delivery.endpoint)[0].state == "delivered"


def test_retries_wait_longer_each_time_for_more_than_a_day_then_the_delivery_is_failed(app, db, redis, shop,
                                                                                       cancelled):
    delays = app.config["SHOP_HOOK_RETRY_DELAYS"]
    assert sum(delays, timedelta()) >= timedelta(hours=24)
    assert delays == sorted(delays)
    shop.answers = [503] * (len(delays) + 1)

    waits = []
    for attempt in range(len(delays) + 1):
        before = utcnow()
        runtime.run(app, burst=True, now=before + (delays[attempt - 1] if attempt else timedelta()) +
                    timedelta(seconds=1))
        row = _outbox_row(db, _delivery(db))
        assert row.attempts == attempt + 1
        if row.status == "pending":
            waits.append(row.not_before - before)

    assert [round(w.total_seconds() / 10) for w in waits] == [round(d.total_seconds() / 10) for d in delays]
    delivery = _delivery(db)
    assert _outbox_row(db, delivery).status == "failed"
    assert delivery.attempts == len(delays) + 1 and delivery.last_status_code == 503
    assert endpoints.delivery_log(delivery.endpoint)[0].state == "failed"
    assert len(set(shop.keys())) == 1


def test_a_worker_killed_mid_delivery_still_delivers_once_per_key(app, db, redis, shop, cancelled):
    shop.hold.clear()  # the shop holds the request: the worker is inside the POST
    worker = _start_worker(app, app.config["REDIS_URL"], SHOP_HOOK_ALLOW_PRIVATE_ADDRESSES=1)
    try:
        assert shop.arrived.wait(30), "the worker never sent the delivery"
        worker.send_signal(signal.SIGKILL)
        worker.wait(10)
        shop.hold.set()
        delivery = _delivery(db)
        assert _outbox_row(db, delivery).status == "running"
        assert delivery.delivered_at is None

        later = utcnow() + timedelta(seconds=JOBS["shop.deliver"].timeout) + timedelta(minutes=10)
        assert relay.requeue_lost(redis, now=later) >= 1
        worker = _start_worker(app, app.config["REDIS_URL"], SHOP_HOOK_ALLOW_PRIVATE_ADDRESSES=1)
        assert _wait_for(lambda: _delivery(db).delivered_at is not None)
    finally:
        output = _stop(worker)
    delivery = _delivery(db)
    assert shop.keys() == [delivery.idempotency_key] * 2, output
    assert list(shop.applied) == [delivery.idempotency_key]
    assert delivery.attempts == 2
    assert _outbox_row(db, delivery).status == "done"


def test_a_resent_delivery_repeats_its_idempotency_key(app, db, redis, shop, cancelled, make_staff):
    runtime.run(app, burst=True)
    lead = make_staff("lead")
    delivery = _delivery(db)

    endpoints.resend(lead, delivery)
    db.session.commit()
    runtime.run(app, burst=True)

    delivery = _delivery(db)
    assert shop.keys() == [delivery.idempotency_key] * 2
    assert list(shop.applied) == [delivery.idempotency_key]
    assert (delivery.resends, delivery.attempts) == (1, 2)
    assert delivery.delivered_at is not None


def test_a_switched_off_endpoint_gets_nothing_and_its_delivery_waits(app, db, redis, shop, cancelled, endpoint):
    endpoint.active = False
    db.session.commit()

    runtime.run(app, burst=True)

    assert shop.requests == []
    delivery = _delivery(db)
    assert "switched off" in _outbox_row(db, delivery).last_error
    assert endpoints.delivery_log(delivery.endpoint)[0].state == "waiting"


def test_an_unreachable_endpoint_is_retried_with_the_error_on_record(app, db, redis, cancelled, endpoint, shop):
    shop.stop()

    runtime.run(app, burst=True)

    delivery = _delivery(db)
    assert delivery.last_status_code is None
    assert "refused" in delivery.last_error.lower() or "URLError" in delivery.last_error
    assert _outbox_row(db, delivery).status == "pending"


@pytest.mark.parametrize("url", ["http://127.0.0.1:9/hooks", "http://10.1.2.3/hooks", "http://169.254.169.254/latest",
                                 "http://[::1]:9/hooks", "http://localhost:9/hooks"])
def test_an_endpoint_inside_the_network_is_refused_unless_allowed(app, db, redis, shop, cancelled, endpoint, url):
    app.config["SHOP_HOOK_ALLOW_PRIVATE"] = False
    endpoint.url = url
    db.session.commit()

    runtime.run(app, burst=True)

    delivery = _delivery(db)
    assert "not on the public internet" in delivery.last_error
    assert delivery.delivered_at is None and shop.requests == []
