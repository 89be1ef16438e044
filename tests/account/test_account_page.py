"""/account: orders (newest first, paginated), cases, inbox; download my data; delete my account."""

import io
import json
from datetime import timedelta

import pytest
from sqlalchemy import select

from portal.models import AuditEntry, Case, Customer, LoginToken, Notification, Order, OutboxRow, utcnow
from tests.orders.helpers import links_in, sign_in_as
from worker import runtime


@pytest.fixture
def alice(make_customer):
    return make_customer(name="Alice Martin", email="alice@example.com", phone="+1 415 555 0134")


def audit_actions(db, customer_id):
    db.session.expire_all()
    return [a.action for a in db.session.scalars(select(AuditEntry).where(AuditEntry.target_id == customer_id)
                                                  .order_by(AuditEntry.id))]


def test_the_account_page_needs_sign_in(client):
    for path in ("/account", "/account/orders"):
        response = client.get(path)
        assert response.status_code == 302
        assert response.headers["Location"].startswith("/signin?next=")


@pytest.mark.parametrize("path", ["/account/data", "/account/delete"])
def test_account_actions_need_sign_in(client, path):
    assert client.post(path).headers["Location"].startswith("/signin")


def test_orders_are_listed_newest_first_ten_to_a_page(client, make_order, alice, make_customer):
    now = utcnow()
    for n in range(13):
        make_order(customer=alice, number=f"A{n:03d}", placed_at=now - timedelta(days=n))
    make_order(customer=make_customer(), number="OTHER1")
    sign_in_as(client, alice)

    first = client.get("/account").text
    second = client.get("/account/orders?page=2").text

    assert first.index("A000") < first.index("A001") < first.index("A009")
    assert "A010" not in first and "OTHER1" not in first
    assert 'href="/account/orders?page=2"' in first
    assert "A010" in second and "A012" in second and "A000" not in second
    assert 'href="/account/orders?page=1"' in second


def test_the_orders_fragment_comes_alone_for_htmx_and_as_the_page_otherwise(client, make_order, alice):
    make_order(customer=alice, number="A1")
    sign_in_as(client, alice)

    fragment = client.get("/account/orders?page=1", headers={"HX-Request": "true"})
    full = client.get("/account/orders?page=1")

    assert fragment.text.lstrip().startswith('<section id="account-orders"')
    assert "<html" not in fragment.text
    assert "<html" in full.text and "Your messages" in full.text
    assert "HX-Request" in fragment.headers["Vary"]
    assert 'aria-live="polite"' in fragment.text


@pytest.mark.parametrize("page", ["abc", "-1", "0", "99999999999999999999", "<script>", ""])
def test_a_hostile_page_number_shows_a_page_not_an_error(client, alice, page):
    sign_in_as(client, alice)

    response = client.get(f"/account/orders?page={page}")

    assert response.status_code == 200
    assert "<script>" not in response.text.split('<main')[1]


def test_cases_and_inbox_are_listed_for_their_owner_only(client, db, alice, make_customer):
    other = make_customer()
    db.session.add_all([
        Case(reference="C-ALICE1", kind="complaint", customer_id=alice.id),
        Case(reference="C-OTHER1", kind="return", customer_id=other.id),
        Notification(customer_id=alice.id, kind="order_shipped", subject="Your order A1 is on its way",
                     body_text="...", link="http://portal.test/orders/A1"),
        Notification(customer_id=other.id, kind="welcome", subject="Someone else's mail", body_text="..."),
    ])
    db.session.commit()
    sign_in_as(client, alice)

    page = client.get("/account").text

    assert "C-ALICE1" in page and "C-OTHER1" not in page
    assert "Your order A1 is on its way" in page and "Someone else" not in page


def test_download_my_data_gives_everything_and_is_audited(client, db, alice, make_order):
    make_order(customer=alice, number="A1")
    db.session.add(Notification(customer_id=alice.id, kind="welcome", subject="Welcome", body_text="Hello"))
    db.session.commit()
    sign_in_as(client, alice)

    response = client.post("/account/data")

    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert response.headers["Content-Disposition"].startswith("attachment; filename=my-data-")
    data = json.loads(response.data)
    assert data["profile"]["email"] == "alice@example.com"
    assert data["profile"]["phone"] == "+1 415 555 0134"
    assert [o["number"] for o in data["orders"]] == ["A1"]
    assert data["orders"][0]["items"][0]["sku"] == "TSH-001"
    assert data["notifications"][0]["subject"] == "Welcome"
    assert audit_actions(db, alice.id) == ["account.data_exported"]


def test_download_is_not_possible_by_get(client, alice):
    sign_in_as(client, alice)

    assert client.get("/account/data").status_code == 405


def test_deleting_the_account_takes_a_confirmed_link_and_keeps_the_orders(app, client, db, alice, make_order,
                                                                           redis, mail_sink):
    order = make_order(customer=alice, number="A1", shipping_name="Alice Martin",
                       shipping_address="1200 Market Street", shipping_phone="+1 415 555 0134")
    db.session.add(Notification(customer_id=alice.id, kind="welcome", subject="Welcome", body_text="Hi Alice"))
    db.session.commit()
    sign_in_as(client, alice)

    asked = client.post("/account/delete")
    assert "We sent you a link" in asked.text
    assert db.session.get(Customer, alice.id).anonymised_at is None
    runtime.run(app, burst=True)
    [message] = mail_sink.to("alice@example.com")
    [link] = [u for u in links_in(message) if "/account/delete/" in u]
    path = link.replace("http://portal.test", "")

    assert "Delete my account now" in client.get(path).text
    done = client.post(path)

    assert done.status_code == 200
    assert "Your account is deleted" in done.text
    db.session.expire_all()
    forgotten = db.session.get(Customer, alice.id)
    assert forgotten.anonymised_at is not None
    assert (forgotten.name, forgotten.phone) == ("", "")
    assert "alice" not in forgotten.email
    kept = db.session.get(Order, order.id)
    assert kept.total_cents == 2400 and len(kept.items) == 1
    assert (kept.shipping_name, kept.shipping_address, kept.shipping_phone) == ("", "", "")
    assert db.session.scalars(select(Notification)).all() == []
    # Only the spent deletion link is left, so opening it again can say it was used.
    [spent] = db.session.scalars(select(LoginToken)).all()
    assert (spent.purpose, spent.used_at is not None) == ("delete_account", True)
    assert audit_actions(db, alice.id) == ["account.deletion_requested", "account.deleted"]
    with client.session_transaction() as session:
        assert "customer_id" not in session
    assert client.post(path).status_code == 410


def test_a_deleted_customer_is_signed_out_of_every_other_session(app, db, alice):
    other_browser = app.test_client()
    sign_in_as(other_browser, alice)
    from portal.account.service import anonymise

    anonymise(alice, utcnow())
    db.session.commit()

    assert other_browser.get("/account").status_code == 302


@pytest.mark.parametrize("token", ["nonsense", "x" * 200])
def test_an_unknown_delete_link_changes_nothing(client, db, alice, token):
    response = client.post(f"/account/delete/{token}")

    assert response.status_code == 410
    assert "We do not recognise this link" in response.text
    assert "Your account was not changed" in response.text
    assert db.session.get(Customer, alice.id).anonymised_at is None


def _deletion_link(db, alice, lifetime=timedelta(hours=1)):
    from portal.auth import tokens

    raw = tokens.issue(alice.id, "delete_account", lifetime)
    db.session.commit()
    return f"/account/delete/{raw}"


def test_a_used_delete_link_says_it_was_used_and_that_nothing_is_left_to_do(client, db, alice):
    link = _deletion_link(db, alice)
    assert client.post(link).status_code == 200

    for again in (client.get(link), client.post(link)):
        assert again.status_code == 410
        assert "This link was already used: your account is deleted. There is nothing more to do." in again.text
        assert "We do not recognise this link" not in again.text
        assert "Your account was not changed" not in again.text
    chinese = client.get(link, headers={"Accept-Language": "zh"}).text
    assert "此链接已经用过：您的账户已删除，无需再做任何操作。" in chinese


def test_an_expired_delete_link_says_it_expired_and_changes_nothing(client, db, alice):
    link = _deletion_link(db, alice, lifetime=timedelta(seconds=-1))

    for response in (client.get(link), client.post(link)):
        assert response.status_code == 410
        assert "This link has expired" in response.text and "Your account was not changed" in response.text
    assert db.session.get(Customer, alice.id).anonymised_at is None


def test_a_garbled_delete_link_keeps_the_unrecognised_message(client, db, alice):
    link = _deletion_link(db, alice)

    response = client.get(link[:-5])

    assert response.status_code == 410 and "We do not recognise this link" in response.text
    assert "already used" not in response.text and "expired" not in response.text


def test_a_sign_in_link_cannot_delete_an_account(client, db, alice):
    from portal.auth import tokens

    raw = tokens.issue(alice.id, "signin", timedelta(minutes=15))
    db.session.commit()

    assert client.post(f"/account/delete/{raw}").status_code == 410
    assert db.session.get(Customer, alice.id).anonymised_at is None


def test_the_deletion_request_schedules_the_confirmation_mail(client, db, alice):
    sign_in_as(client, alice)

    client.post("/account/delete")

    [row] = db.session.scalars(select(OutboxRow)).all()
    assert (row.job_name, row.args, row.queue) == ("mail.account_delete_confirm", [alice.id], "high")


def test_deleting_the_account_forgets_what_was_written_in_the_cases_but_keeps_the_figures(app, db, alice,
                                                                                         make_order):
    from werkzeug.datastructures import FileStorage

    from portal.account.service import delete_account
    from portal.casework import photos
    from portal.models import (
        Callback,
        CaseAttachment,
        CaseMessage,
        ReturnDraft,
        Survey,
        SurveyAnswer,
    )
    from tests.cases.helpers import image_bytes
    from tests.worker.cases import make_case

    def stored_photo():
        return photos.store(FileStorage(stream=io.BytesIO(image_bytes()), filename="p.jpg")).name

    order = make_order(customer=alice, number="A7")
    case = make_case(alice, kind="complaint", category="damaged", order_id=order.id,
                     description="My flat at 1200 Market Street, call +1 415 555 0134")
    case_photo, draft_photo = stored_photo(), stored_photo()
    survey = Survey(case_id=case.id, customer_id=alice.id, sent_at=utcnow())
    db.session.add_all([
        CaseMessage(case_id=case.id, author_type="customer", body="It arrived broken, Alice"),
        CaseMessage(case_id=case.id, author_type="agent", body="Sorry, Alice Martin"),
        CaseMessage(case_id=case.id, author_type="agent", body="Lives alone, fragile", internal=True),
        CaseAttachment(case_id=case.id, stored_name=case_photo, content_type="image/jpeg", size_bytes=10),
        Callback(case_id=case.id, customer_id=alice.id, reason="complaint", phone="+1 415 555 0134",
                 due_at=utcnow(), outcome_note="Alice says the neighbour took it"),
        ReturnDraft(customer_id=alice.id, order_id=order.id, data={"photos": [{"name": draft_photo}]}),
        survey,
    ])
    db.session.flush()
    db.session.add(SurveyAnswer(survey_id=survey.id, score=2, comment="Alice here: never again"))
    db.session.commit()

    delete_account(alice, utcnow())
    db.session.expire_all()

    kept = db.session.get(Case, case.id)
    assert (kept.kind, kept.category, kept.description) == ("complaint", "damaged", "")
    assert {m.body for m in db.session.scalars(select(CaseMessage).where(CaseMessage.case_id == case.id))} == {""}
    assert db.session.scalar(select(SurveyAnswer.comment)) == ""
    assert db.session.scalar(select(SurveyAnswer.score)) == 2
    assert db.session.scalar(select(Callback.outcome_note)) == ""
    assert db.session.scalars(select(CaseAttachment)).all() == []
    assert db.session.scalars(select(ReturnDraft)).all() == []
    assert photos.path_for(case_photo) is None and photos.path_for(draft_photo) is None


def test_photos_stay_when_the_deletion_is_rolled_back(db, alice, make_order):
    from werkzeug.datastructures import FileStorage

    from portal.account.service import anonymise
    from portal.casework import photos
    from portal.models import ReturnDraft
    from tests.cases.helpers import image_bytes

    photo = photos.store(FileStorage(stream=io.BytesIO(image_bytes()), filename="p.jpg")).name
    order = make_order(customer=alice, number="A8")
    db.session.add(ReturnDraft(customer_id=alice.id, order_id=order.id, data={"photos": [{"name": photo}]}))
    db.session.commit()

    leftover = anonymise(alice, utcnow())
    db.session.rollback()

    assert leftover == [photo]
    assert photos.path_for(photo) is not None and photos.path_for(photo).exists()
    assert db.session.scalars(select(ReturnDraft)).one().data["photos"] == [{"name": photo}]
