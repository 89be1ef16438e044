"""The same complaint sent twice files one case; the second sending is shown the first one's case."""

import io
import threading
import time

from sqlalchemy import func, select

from portal.complaints import resubmits
from portal.models import Case
from tests.complaints.test_complaint_form import VALID, file
from tests.orders.helpers import sign_in_as


def _cases(db):
    return db.session.scalars(select(Case.reference).order_by(Case.id)).all()


def test_the_same_complaint_sent_twice_files_one_case_and_shows_it_again(client, db, redis, customer):
    sign_in_as(client, customer)

    first = file(client)
    second = file(client)

    [reference] = _cases(db)
    assert first.status_code == second.status_code == 303
    assert second.headers["Location"].endswith(f"/cases/{reference}")
    assert "You sent this complaint a moment ago" in client.get(second.headers["Location"]).text


def test_a_different_complaint_is_filed_as_its_own_case(client, db, redis, customer):
    sign_in_as(client, customer)

    file(client)
    file(client, description="And the base of the kettle leaks as well.")

    assert len(_cases(db)) == 2


def test_a_sending_refused_for_its_photo_leaves_the_next_one_free_to_file(client, db, redis, customer):
    sign_in_as(client, customer)
    refused = client.post("/complaints/new", data={**VALID, "photos": [(io.BytesIO(b"not a photo"), "lid.jpg")]},
                          content_type="multipart/form-data")

    assert refused.status_code == 400 and _cases(db) == []
    assert file(client).status_code == 303 and len(_cases(db)) == 1


def test_a_second_sending_waits_for_the_first_still_being_filed(app, redis):
    key = resubmits.key_for(1, "damaged_or_unsafe", "", "replacement", "The lid is cracked.")
    assert resubmits.claim(key) and not resubmits.claim(key)

    def first_files():
        time.sleep(0.3)
        with app.app_context():
            resubmits.filed(key, "C-FIRST001")

    threading.Thread(target=first_files).start()
    started = time.monotonic()

    assert resubmits.earlier_case(key) == "C-FIRST001"
    assert 0.2 < time.monotonic() - started < resubmits.WAIT_SECONDS


def test_without_redis_every_sending_files(app, monkeypatch, db, customer, client):
    monkeypatch.setitem(app.config, "REDIS_URL", "redis://127.0.0.1:1/0")
    app.extensions.pop("portal_redis", None)
    sign_in_as(client, customer)

    file(client)
    file(client)

    assert db.session.scalar(select(func.count(Case.id))) == 2
