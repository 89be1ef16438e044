"""Sign-in by e-mail link: the same answer for every address, single-use 15-minute links, rate limits."""

import re
from datetime import timedelta
from email.utils import parsedate_to_datetime

import pytest
from sqlalchemy import select

from portal.auth import tokens
from portal.models import LoginToken, Notification, OutboxRow, utcnow
from tests.orders.helpers import limited_app, links_in, sign_in_as
from worker import runtime


def outbox_rows(db, job_name):
    db.session.expire_all()
    return db.session.scalars(select(OutboxRow).where(OutboxRow.job_name == job_name)).all()


def request_link(client, email, **extra):
    return client.post("/signin", data={"email": email, **extra})


def mailed_link(app, db, mail_sink, address):
    runtime.run(app, burst=True)
    [message] = mail_sink.to(address)
    [link] = [url for url in links_in(message) if "/signin/" in url]
    return link.replace("http://portal.test", "")


def test_signin_page_asks_for_an_email_address(client):
    page = client.get("/signin")

    assert page.status_code == 200
    assert 'name="email"' in page.text
    assert '<label for="signin-email">' in page.text


def test_a_known_and_an_unknown_address_get_the_same_answer(client, db, customer):
    known = request_link(client, "alice@example.com")
    unknown = request_link(client, "nobody@example.com")

    assert known.status_code == unknown.status_code == 302
    assert known.headers["Location"] == unknown.headers["Location"] == "/signin/sent"
    assert known.data == unknown.data
    [row] = outbox_rows(db, "mail.signin_link")
    assert row.args[0] == customer.id
    assert row.queue == "high"
    sent = client.get("/signin/sent")
    assert "If that address belongs to an account" in sent.text


def test_the_address_is_matched_without_regard_to_case_or_spaces(client, db, customer):
    request_link(client, "  Alice@Example.COM ")

    assert len(outbox_rows(db, "mail.signin_link")) == 1


@pytest.mark.parametrize("hostile", ["", "   ", "not-an-address", "<script>alert(1)</script>@x.com",
                                     "a" * 300 + "@example.com", "alice@example.com\r\nBcc: x@y.z"])
def test_hostile_addresses_are_refused_with_a_message_and_send_nothing(client, db, customer, hostile):
    response = request_link(client, hostile)

    assert response.status_code == 400
    assert 'class="field-error"' in response.text
    assert "<script>alert(1)</script>" not in response.text
    assert outbox_rows(db, "mail.signin_link") == []


def test_following_the_mailed_link_signs_in_with_a_fresh_session(app, db, client, customer, redis, mail_sink):
    with client.session_transaction() as session:
        session["sid"] = "visitor-before-sign-in"
        session["guest_orders"] = [12345]
    request_link(client, "alice@example.com")
    link = mailed_link(app, db, mail_sink, "alice@example.com")

    confirm = client.get(link)
    assert confirm.status_code == 200
    assert client.get("/account").status_code == 302  # the GET alone signed nobody in
    signed_in = client.post(link)

    assert signed_in.status_code == 302
    assert signed_in.headers["Location"] == "/account"
    with client.session_transaction() as session:
        assert session["customer_id"] == customer.id
        assert session["sid"] != "visitor-before-sign-in"
        assert "guest_orders" not in session
    account = client.get("/account")
    assert account.status_code == 200
    assert "Alice Martin" in account.text
    assert "Your account" in account.text


def test_the_link_is_stored_only_as_a_hash_and_never_in_the_inbox(app, db, client, customer, redis, mail_sink):
    request_link(client, "alice@example.com")
    link = mailed_link(app, db, mail_sink, "alice@example.com")
    raw = link.rsplit("/", 1)[-1]

    [token] = db.session.scalars(select(LoginToken)).all()
    assert token.token_hash == tokens.token_hash(raw) != raw
    assert token.expires_at - token.created_at == timedelta(minutes=15)
    assert all(raw not in str(row.args) for row in outbox_rows(db, "mail.signin_link"))
    assert db.session.scalars(select(Notification)).all() == []


def test_a_used_link_is_refused_with_a_clear_page(app, db, client, customer, redis, mail_sink):
    request_link(client, "alice@example.com")
    link = mailed_link(app, db, mail_sink, "alice@example.com")
    client.post(link)
    other_browser = app.test_client()

    again = other_browser.post(link)
    looked_at = other_browser.get(link)

    assert again.status_code == looked_at.status_code == 410
    assert "This link was already used" in again.text
    assert "Get a new sign-in link" in again.text
    with other_browser.session_transaction() as session:
        assert "customer_id" not in session


def test_an_expired_link_is_refused_with_a_clear_page(db, client, customer):
    raw = tokens.issue(customer.id, "signin", timedelta(minutes=15))
    db.session.commit()
    token = db.session.scalar(select(LoginToken))
    token.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()

    response = client.post(f"/signin/{raw}")

    assert response.status_code == 410
    assert "This link has expired" in response.text
    with client.session_transaction() as session:
        assert "customer_id" not in session


@pytest.mark.parametrize("token", ["nonsense", "x" * 150, "%3Cscript%3E"])
def test_an_unknown_link_is_refused_with_a_clear_page(client, token):
    response = client.get(f"/signin/{token}")

    assert response.status_code == 410
    assert "We do not recognise this link" in response.text


def test_a_delete_account_link_does_not_sign_in(db, client, customer):
    raw = tokens.issue(customer.id, "delete_account", timedelta(minutes=15))
    db.session.commit()

    assert client.post(f"/signin/{raw}").status_code == 410


def test_a_link_is_redeemed_only_once_even_when_checked_twice(db, customer):
    raw = tokens.issue(customer.id, "signin", timedelta(minutes=15))
    db.session.commit()

    assert tokens.redeem(raw, "signin") == customer.id
    with pytest.raises(tokens.LinkRefused) as refused:
        tokens.redeem(raw, "signin")
    assert refused.value.reason == "used"


def test_the_link_returns_to_the_page_that_asked_for_sign_in(app, db, client, customer, redis, mail_sink):
    request_link(client, "alice@example.com", next="/orders/T1")
    link = mailed_link(app, db, mail_sink, "alice@example.com")

    assert client.post(link).headers["Location"] == "/orders/T1"


@pytest.mark.parametrize("target", ["//evil.example/x", "https://evil.example/", "/\\evil.example"])
def test_the_link_never_redirects_off_site(app, db, client, customer, redis, mail_sink, target):
    request_link(client, "alice@example.com", next=target)
    link = mailed_link(app, db, mail_sink, "alice@example.com")

    assert client.post(link).headers["Location"] == "/account"


def test_a_deleted_account_gets_no_link(db, client, customer):
    customer.anonymised_at = utcnow()
    db.session.commit()

    assert request_link(client, "alice@example.com").headers["Location"] == "/signin/sent"
    assert outbox_rows(db, "mail.signin_link") == []


def test_a_sign_in_lasts_fourteen_days_from_signing_in_and_pages_do_not_resend_it(
        app, db, client, customer, redis, mail_sink):
    request_link(client, "alice@example.com")
    signed_in = client.post(mailed_link(app, db, mail_sink, "alice@example.com"))
    expires = parsedate_to_datetime(re.search(r"Expires=([^;]+)", signed_in.headers["Set-Cookie"]).group(1))
    client.get("/account")  # the first page adds the form token to the session

    later_page = client.get("/account")

    assert abs(expires - (utcnow() + timedelta(days=14))) < timedelta(minutes=1)
    assert later_page.status_code == 200
    assert "Set-Cookie" not in later_page.headers


def test_sign_out_ends_the_session(client, customer):
    sign_in_as(client, customer)

    response = client.post("/signout")

    assert response.status_code == 302
    with client.session_transaction() as session:
        assert "customer_id" not in session
    assert client.get("/account").status_code == 302


def test_sign_out_is_not_possible_by_get(client):
    assert client.get("/signout").status_code == 405


def test_the_header_shows_sign_in_or_the_signed_in_customer(client, customer):
    assert ">Sign in</a>" in client.get("/").text
    sign_in_as(client, customer)

    page = client.get("/").text

    assert "Alice Martin" in page
    assert "Your account" in page
    assert 'action="/signout"' in page


def test_the_ip_limit_refuses_the_eleventh_request_in_a_minute(test_environ, redis, customer):
    client = limited_app(test_environ).test_client()

    statuses = [request_link(client, f"person{n}@example.com").status_code for n in range(11)]

    assert statuses == [302] * 10 + [429]


def test_the_address_limit_refuses_the_sixth_request_for_one_address(test_environ, redis, customer):
    app = limited_app(test_environ)

    client = app.test_client()

    statuses = [client.post("/signin", data={"email": "alice@example.com"},
                            environ_base={"REMOTE_ADDR": f"10.0.0.{n}"}).status_code for n in range(6)]

    assert statuses == [302] * 5 + [429]


def test_rate_limits_fall_back_to_memory_when_redis_is_down(test_environ, customer, tmp_path):
    app = limited_app(test_environ, RATELIMIT_STORAGE_URI=f"redis+unix://{tmp_path / 'nothing-here.sock'}")
    client = app.test_client()

    statuses = [request_link(client, f"person{n}@example.com").status_code for n in range(11)]

    assert statuses[-1] == 429
