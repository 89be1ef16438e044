"""End to end: a return filed, approved, its label printed and read back, the approval delivered to the shop's
server on loopback (which fails twice, once while the worker is killed mid-delivery), the shop's signed events
over real HTTP, the real worker sending one e-mail per step, and the resolution clock paused while the parcel
travelled."""

import json
import signal
import threading
import urllib.error
import urllib.request
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from portal.jobs import JOBS
from portal.models import Case, OutboxRow, ShopDelivery, ShopEndpoint, utcnow
from tests.orders.helpers import signed_headers
from tests.returns.helpers import barcodes_in_pdf, file_return, shop_event
from tests.worker.shop import ShopServer
from tests.worker.test_faults import _start_worker, _stop, _wait_for
from worker import relay, runtime

pytestmark = pytest.mark.integration


@pytest.fixture
def shop_facing_server(app):
    """The portal served over HTTP on loopback, as the shop's system reaches the webhook."""
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=5)


SECRET = "whsec_return-journey"
RETRY_SECONDS = 30


@pytest.fixture
def shop(app, db):
    """The shop's system on loopback, subscribed to our return approvals."""
    app.config["SHOP_HOOK_ALLOW_PRIVATE"] = True
    app.config["SHOP_HOOK_RETRY_DELAYS"] = [timedelta(seconds=RETRY_SECONDS)] * 8
    server = ShopServer(SECRET).start()
    db.session.add(ShopEndpoint(url=server.url, secret=SECRET, event_types=["return.approved"], active=True))
    db.session.commit()
    yield server
    server.stop()


def deliver_through_a_killed_worker(app, db, redis, shop):
    """The approval's next attempt goes out from a real worker process, killed while the shop holds the request;
    a new worker sends it again after the lost job is handed out once more."""
    # The wait before the retry has passed.
    db.session.execute(update(OutboxRow).where(OutboxRow.job_name == "shop.deliver").values(not_before=utcnow()))
    db.session.commit()
    shop.hold.clear()
    shop.arrived.clear()
    settings = {"SHOP_HOOK_ALLOW_PRIVATE_ADDRESSES": 1, "SHOP_HOOK_RETRY_SECONDS": RETRY_SECONDS}
    worker = _start_worker(app, app.config["REDIS_URL"], **settings)
    try:
        assert shop.arrived.wait(30), "the worker never sent the delivery"
        worker.send_signal(signal.SIGKILL)
        worker.wait(10)
        shop.hold.set()
        later = utcnow() + timedelta(seconds=JOBS["shop.deliver"].timeout) + timedelta(minutes=10)
        assert relay.requeue_lost(redis, now=later) >= 1
        worker = _start_worker(app, app.config["REDIS_URL"], **settings)

        def delivered():
            db.session.expire_all()
            return db.session.scalar(select(ShopDelivery.delivered_at)) is not None

        assert _wait_for(delivered)
    finally:
        output = _stop(worker)
    return output


def send(url, event):
    """POST one event signed as the shop signs it; (status, JSON answer)."""
    body = json.dumps(event).encode()
    request = urllib.request.Request(f"{url}/api/webhooks/orders", data=body, headers=signed_headers(body),
                                     method="POST")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def status_times(case):
    return {e.new_value: e.created_at for e in case.events if e.field == "status"}


def test_a_return_goes_from_filing_to_refund_with_one_email_per_step(app, db, redis, mail_sink, signed_in, order,
                                                                     shop_facing_server, shop):
    shop.answers = [500, 500]  # the shop's system fails twice before it takes the approval
    case = file_return(signed_in, order)
    filed_due = case.resolution_due
    runtime.run(app, burst=True)  # the instructions e-mail, and the approval's first attempt: 500
    worker_output = deliver_through_a_killed_worker(app, db, redis, shop)  # the second: 500, unheard; then 200

    [delivery] = db.session.scalars(select(ShopDelivery)).all()
    assert shop.keys() == [delivery.idempotency_key] * 3, worker_output
    assert shop.accepted == {delivery.idempotency_key: 1}
    assert all(problem is None for _, _, problem in shop.requests)
    [approval] = shop.applied.values()
    assert approval["type"] == "return.approved" and approval["data"]["rma"] == case.return_label

    label = signed_in.get(f"/cases/{case.reference}/return-label.pdf")
    assert ("Code128", case.return_label) in barcodes_in_pdf(label.data)

    for kind, data in (("return.in_transit", {"carrier": "DHL", "tracking_number": "JD014600003"}),
                       ("return.received", {"condition": "as_new"}),
                       ("refund.issued", {"amount_cents": 1900, "currency": "USD", "method": "original"})):
        assert send(shop_facing_server, shop_event(kind, case.return_label, **data))[0] == 200
        # The shop retries: the same event id changes nothing and mails nobody again.
        assert send(shop_facing_server, shop_event(kind, case.return_label, **data)) == (
            200, {"status": "duplicate", "event_id": f"evt-{kind}-{case.return_label}"})
        runtime.run(app, burst=True)

    db.session.expire_all()
    case = db.session.get(Case, case.id)
    assert case.status == "refunded"
    subjects = [m["Subject"] for m in mail_sink.to("alice@example.com")]
    assert subjects == [
        f"Your return {case.reference} is approved: how to send it back",
        f"Your parcel for {case.reference} is on its way back",
        f"We received your returned item for {case.reference}",
        f"Your refund for {case.reference} is on its way",
    ]
    instructions = mail_sink.to("alice@example.com")[0].get_body(("plain",)).get_content()
    assert case.return_label in instructions and "Drop off by" in instructions and "$19.00" in instructions
    assert "$19.00" in mail_sink.to("alice@example.com")[-1].get_body(("plain",)).get_content()

    later = {row.job_name for row in db.session.scalars(select(OutboxRow).where(OutboxRow.status == "pending"))}
    assert {"survey.invite", "followup.check"} <= later

    times = status_times(case)
    travelled = times["received"] - times["awaiting_item"]
    assert case.resolution_due == filed_due + travelled
    page = signed_in.get(f"/cases/{case.reference}").text
    assert "Refund issued: $19.00" in page
