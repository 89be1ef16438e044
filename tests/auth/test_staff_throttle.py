"""Failed staff sign-ins: growing delays per account and per source, the owner's device spared, the owner told."""

from types import SimpleNamespace

import pytest
from sqlalchemy import select

from portal.auth import throttle
from portal.models import AuditEntry, OutboxRow
from tests.orders.helpers import limited_app
from worker import runtime

PASSWORD = "correct horse battery"
STRANGER = {"REMOTE_ADDR": "203.0.113.9"}
ELSEWHERE = {"REMOTE_ADDR": "198.51.100.7"}


@pytest.fixture(autouse=True)
def still_clock(monkeypatch):
    # The first delay is one second: on a loaded machine that second could pass between two sign-ins of a test,
    # so the throttle's clock stands still here and only `_let_the_delays_pass` ends a wait.
    monkeypatch.setattr(throttle, "time", SimpleNamespace(time=lambda: 1_800_000_000.0))


def _sign_in(client, email, password=PASSWORD, source=None):
    return client.post("/staff/signin", data={"email": email, "password": password},
                       environ_base=source or {"REMOTE_ADDR": "192.0.2.1"})


def _let_the_delays_pass(redis):
    # Stands in for waiting: the counts stay, only the current waits go.
    for key in redis.scan_iter("staff-throttle:*:until"):
        redis.delete(key)


def test_strangers_failures_slow_the_account_with_growing_delays(test_environ, redis, agent):
    client = limited_app(test_environ).test_client()
    for _ in range(3):  # the free failures
        assert _sign_in(client, agent.email, "wrong password here", STRANGER).status_code == 400
    assert _sign_in(client, agent.email, "wrong password here", STRANGER).status_code == 400
    waits = []
    for _ in range(3):
        refused = _sign_in(client, agent.email, PASSWORD, ELSEWHERE)
        assert refused.status_code == 429
        assert b"Too many failed sign-ins" in refused.data
        waits.append(int(refused.headers["Retry-After"]))
        _let_the_delays_pass(redis)
        assert _sign_in(client, agent.email, "wrong password again", STRANGER).status_code == 400
    assert waits == [1, 2, 4]


def test_an_attempt_made_while_waiting_is_not_checked_and_not_counted(test_environ, redis, agent, db):
    client = limited_app(test_environ).test_client()
    for _ in range(4):
        _sign_in(client, agent.email, "wrong password here", STRANGER)
    for _ in range(5):
        assert _sign_in(client, agent.email, "wrong password here", STRANGER).status_code == 429
    [count_key] = [k for k in redis.scan_iter("staff-throttle:account:*") if not k.endswith(b":until")]
    assert int(redis.get(count_key)) == 4


def test_the_owners_device_signs_in_whatever_strangers_did(test_environ, redis, agent):
    app = limited_app(test_environ)
    owner, stranger = app.test_client(), app.test_client()
    assert _sign_in(owner, agent.email).status_code == 302
    assert owner.get_cookie("staff_device", path="/staff/signin") is not None
    owner.post("/staff/signout")
    for _ in range(4):
        _sign_in(stranger, agent.email, "wrong password here", STRANGER)
    assert _sign_in(stranger, agent.email, PASSWORD, STRANGER).status_code == 429
    assert _sign_in(owner, agent.email).status_code == 302


def test_the_owners_own_device_is_slowed_by_its_own_failures_alone(test_environ, redis, agent):
    app = limited_app(test_environ)
    owner = app.test_client()
    _sign_in(owner, agent.email)
    owner.post("/staff/signout")
    for _ in range(4):
        assert _sign_in(owner, agent.email, "typo in the password").status_code == 400
    assert _sign_in(owner, agent.email).status_code == 429
    assert _sign_in(app.test_client(), agent.email, PASSWORD, ELSEWHERE).status_code == 302


def test_a_device_cookie_of_one_account_earns_no_trust_for_another(test_environ, redis, agent, lead):
    app = limited_app(test_environ)
    client = app.test_client()
    _sign_in(client, agent.email)
    client.post("/staff/signout")
    for _ in range(4):
        _sign_in(client, lead.email, "wrong password here")
    assert _sign_in(app.test_client(), lead.email, PASSWORD, ELSEWHERE).status_code == 429


def test_a_forged_device_cookie_earns_no_trust(test_environ, redis, agent):
    client = limited_app(test_environ).test_client()
    client.set_cookie("staff_device", f'{{"staff": {agent.id}, "device": "mine"}}', path="/staff/signin")
    for _ in range(4):
        _sign_in(client, agent.email, "wrong password here")
    assert _sign_in(client, agent.email).status_code == 429


def test_one_source_trying_many_accounts_is_slowed(test_environ, redis, make_staff):
    app = limited_app(test_environ, ENVIRON=dict(test_environ, STAFF_SIGNIN_FREE_FAILURES_PER_SOURCE="3"))
    client = app.test_client()
    for n in range(4):
        assert _sign_in(client, f"guess{n}@example.com", source=STRANGER).status_code == 400
    assert _sign_in(client, "guess9@example.com", source=STRANGER).status_code == 429
    assert _sign_in(client, "guess9@example.com", source=ELSEWHERE).status_code == 400


def test_good_sign_ins_do_not_count(test_environ, redis, agent):
    client = limited_app(test_environ).test_client()
    for _ in range(7):
        assert _sign_in(client, agent.email, source=STRANGER).status_code == 302
        client.post("/staff/signout")


def test_the_owner_is_told_once_by_email_when_strangers_are_slowed(app, test_environ, redis, agent, db, mail_sink):
    client = limited_app(test_environ).test_client()
    for _ in range(6):
        _sign_in(client, agent.email, "wrong password here", STRANGER)
        _let_the_delays_pass(redis)
    rows = db.session.scalars(select(OutboxRow).where(OutboxRow.job_name == "mail.staff_signin_alert")).all()
    assert [row.args for row in rows] == [[agent.id]]
    runtime.run(app, burst=True)
    [message] = mail_sink.to(agent.email)
    assert message["Subject"] == "Failed sign-ins to your support desk account"
    assert "/staff/reset" in message.get_body(("plain",)).get_content()


def test_no_mail_goes_out_for_an_unknown_address(test_environ, redis, db):
    client = limited_app(test_environ).test_client()
    for _ in range(6):
        _sign_in(client, "nobody@example.com", "wrong password here", STRANGER)
        _let_the_delays_pass(redis)
    assert db.session.scalars(select(OutboxRow)).all() == []


def test_good_and_failed_sign_ins_are_audited_without_storing_unknown_addresses(client, agent, db):
    _sign_in(client, agent.email, "wrong password here", STRANGER)
    _sign_in(client, "password-typed-here@example.com", "x", STRANGER)
    _sign_in(client, agent.email, PASSWORD, STRANGER)
    entries = db.session.scalars(select(AuditEntry).order_by(AuditEntry.id)).all()
    assert [(e.action, e.actor_id) for e in entries] == [
        ("staff.signin_failed", agent.id), ("staff.signin_failed", None), ("staff.signin", agent.id)]
    assert all(e.detail["source"] == "203.0.113.9" for e in entries)
    assert "password-typed-here" not in str([e.detail for e in entries])
