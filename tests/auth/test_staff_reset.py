"""Staff password reset by an e-mailed link: same answer for any address, single use, expiry, sessions ended."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from portal.auth.staff import link_token
from portal.models import OutboxRow, Staff
from tests.orders.helpers import links_in
from worker import runtime

PASSWORD = "correct horse battery"
NEW_PASSWORD = "a brand new passphrase"


def _reset_rows(db):
    db.session.expire_all()
    return db.session.scalars(select(OutboxRow).where(OutboxRow.job_name == "mail.staff_reset")).all()


def _mailed_reset_link(app, mail_sink, address):
    runtime.run(app, burst=True)
    [message] = mail_sink.to(address)
    [link] = [url for url in links_in(message) if "/staff/password/" in url]
    return link.replace("http://portal.test", "")


def test_a_known_and_an_unknown_address_get_the_same_answer(client, db, agent):
    known = client.post("/staff/reset", data={"email": agent.email})
    unknown = client.post("/staff/reset", data={"email": "nobody@example.com"})
    assert known.status_code == unknown.status_code == 200
    assert known.data == unknown.data
    assert [row.args for row in _reset_rows(db)] == [[agent.id]]


@pytest.mark.parametrize("email", ["", "not an address" * 30, "<script>alert(1)</script>", "name@@example.com"])
def test_hostile_addresses_are_refused_with_a_message_and_send_nothing(client, db, agent, email):
    response = client.post("/staff/reset", data={"email": email})
    assert response.status_code == 400
    assert b"<script>alert(1)" not in response.data
    assert _reset_rows(db) == []


def test_the_mailed_link_sets_a_new_password_once(app, client, db, redis, mail_sink, agent):
    client.post("/staff/reset", data={"email": agent.email})
    link = _mailed_reset_link(app, mail_sink, agent.email)
    assert client.get(link).status_code == 200
    mismatch = client.post(link, data={"password": NEW_PASSWORD, "confirm": "something else"})
    assert mismatch.status_code == 400 and b"The two passwords differ." in mismatch.data
    assert client.post(link, data={"password": "short", "confirm": "short"}).status_code == 400
    done = client.post(link, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert done.status_code == 302 and done.headers["Location"] == "/staff/signin"
    assert client.post("/staff/signin", data={"email": agent.email, "password": PASSWORD}).status_code == 400
    assert client.post("/staff/signin", data={"email": agent.email, "password": NEW_PASSWORD}).status_code == 302
    reused = client.get(link)
    assert reused.status_code == 410 and b"already used" in reused.data
    assert client.post(link, data={"password": "another passphrase!", "confirm": "another passphrase!"}) \
        .status_code == 410
    db.session.expire_all()
    assert db.session.get(Staff, agent.id).check_password(NEW_PASSWORD)


def test_an_expired_link_is_refused_and_changes_nothing(app, client, db, agent):
    token = link_token(agent, "reset")
    app.config["STAFF_RESET_LIFETIME"] = timedelta(seconds=-1)
    response = client.post(f"/staff/password/{token}", data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert response.status_code == 410 and b"expired" in response.data
    db.session.expire_all()
    assert db.session.get(Staff, agent.id).check_password(PASSWORD)


@pytest.mark.parametrize("token", ["nonsense", "x" * 400, "eyJzdGFmZiI6MX0.forged.signature"])
def test_an_unknown_link_is_refused(client, token):
    assert client.get(f"/staff/password/{token}").status_code == 404


def test_an_invitation_link_does_not_reset_a_password(client, agent):
    assert client.get(f"/staff/password/{link_token(agent, 'invite')}").status_code == 404


def test_setting_a_password_ends_the_accounts_other_sessions(app, client, agent):
    elsewhere = app.test_client()
    elsewhere.post("/staff/signin", data={"email": agent.email, "password": PASSWORD})
    assert elsewhere.get("/agent").status_code == 200
    token = link_token(agent, "reset")
    client.post(f"/staff/password/{token}", data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert elsewhere.get("/agent").status_code == 302
