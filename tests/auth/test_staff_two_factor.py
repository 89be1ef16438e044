"""Two-factor staff sign-in: enrolment by QR code, codes once each, recovery codes, admins must enrol."""

import re
import time

import pyotp
import pytest
from sqlalchemy import select

from portal.auth import two_factor
from portal.models import AuditEntry, Staff
from tests.admin.test_staff_admin import NEW_PASSWORD
from tests.agent.helpers import sign_in_staff
from tests.orders.helpers import links_in
from worker import runtime

PASSWORD = "correct horse battery"


def _password(client, email, password=PASSWORD):
    return client.post("/staff/signin", data={"email": email, "password": password})


def _enrol(client):
    page = client.get("/staff/two-factor")
    assert page.status_code == 200 and b"<svg" in page.data
    secret = re.search(rb"<code>([A-Z2-7]{32})</code>", page.data).group(1).decode()
    done = client.post("/staff/two-factor", data={"code": pyotp.TOTP(secret).now()})
    assert done.status_code == 200
    codes = re.findall(rb"<code>([a-z2-7]{5}-[a-z2-7]{5})</code>", done.data)
    assert len(codes) == 10
    return secret, [c.decode() for c in codes]


def _next_code(secret):
    """A valid code for a later time step than the one just used (the window accepts one step ahead)."""
    return pyotp.TOTP(secret).at(time.time() + 30)


def test_invite_set_password_enrol_and_sign_in_with_a_code(app, client, db, redis, mail_sink, make_staff):
    admin = make_staff("admin", totp_secret=pyotp.random_base32(32))
    sign_in_staff(client, admin)
    client.post("/admin/staff/invite", data={"email": "new.admin@example.com", "role": "admin"})
    runtime.run(app, burst=True)
    [link] = [u.replace("http://portal.test", "") for u in links_in(mail_sink.to("new.admin@example.com")[0])
              if "/staff/join/" in u]
    newcomer = app.test_client()
    newcomer.post(link, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert _password(newcomer, "new.admin@example.com", NEW_PASSWORD).status_code == 302
    assert newcomer.get("/admin/staff").headers["Location"] == "/staff/two-factor"
    secret, _codes = _enrol(newcomer)
    assert newcomer.get("/admin/staff").status_code == 200
    newcomer.post("/staff/signout")

    step_one = _password(newcomer, "new.admin@example.com", NEW_PASSWORD)
    assert step_one.headers["Location"] == "/staff/signin/code"
    assert newcomer.get("/admin/staff").status_code == 302, "the password alone signs nobody in"
    assert newcomer.post("/staff/signin/code", data={"code": _next_code(secret)}).headers["Location"] == \
        "/admin/staff"
    assert newcomer.get("/admin/staff").status_code == 200
    staff = db.session.scalar(select(Staff).where(Staff.email == "new.admin@example.com"))
    actions = [e.action for e in db.session.scalars(select(AuditEntry).where(AuditEntry.target_id == staff.id)
                                                    .order_by(AuditEntry.id))]
    assert "staff.2fa_enabled" in actions and actions[-2:] == ["staff.password_ok", "staff.signin"]


@pytest.fixture
def enrolled(app, client, agent):
    sign_in_staff(client, agent)
    secret, codes = _enrol(client)
    client.post("/staff/signout")
    return secret, codes


def test_a_wrong_code_is_refused_and_signs_nobody_in(client, db, agent, enrolled):
    _password(client, agent.email)
    for code in ("000000", "12345", "abcdef", "<script>", "9" * 40, "²²²²²²"):
        response = client.post("/staff/signin/code", data={"code": code})
        assert response.status_code in (400, 302)
        assert b"<script>" not in response.data
    assert client.get("/agent").status_code == 302
    failed = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "staff.2fa_failed")).all()
    assert len(failed) == 5


def test_five_wrong_codes_send_the_browser_back_to_the_password(client, agent, enrolled):
    _password(client, agent.email)
    for _ in range(4):
        assert client.post("/staff/signin/code", data={"code": "000000"}).status_code == 400
    assert client.post("/staff/signin/code", data={"code": "000000"}).headers["Location"] == "/staff/signin"
    secret, _codes = enrolled
    assert client.post("/staff/signin/code", data={"code": _next_code(secret)}).headers["Location"] == \
        "/staff/signin"


def test_a_code_works_once(app, client, agent, enrolled):
    secret, _codes = enrolled
    code = _next_code(secret)
    _password(client, agent.email)
    assert client.post("/staff/signin/code", data={"code": code}).status_code == 302
    other = app.test_client()
    _password(other, agent.email)
    reused = other.post("/staff/signin/code", data={"code": code})
    assert reused.status_code == 400 and b"used already" in reused.data


def test_a_recovery_code_signs_in_once(app, client, agent, enrolled):
    _secret, codes = enrolled
    _password(client, agent.email)
    assert client.post("/staff/signin/code", data={"code": codes[0].upper()}).status_code == 302
    other = app.test_client()
    _password(other, agent.email)
    assert other.post("/staff/signin/code", data={"code": codes[0]}).status_code == 400
    assert other.post("/staff/signin/code", data={"code": codes[1].replace("-", "")}).status_code == 302


def test_recovery_codes_are_stored_hashed(db, agent, enrolled):
    _secret, codes = enrolled
    db.session.expire_all()
    stored = db.session.get(Staff, agent.id).recovery_code_hashes
    assert len(stored) == 10 and not any(code.replace("-", "") in str(stored) for code in codes)


def test_the_code_page_without_a_password_first_goes_back_to_sign_in(client):
    assert client.get("/staff/signin/code").headers["Location"] == "/staff/signin"
    assert client.post("/staff/signin/code", data={"code": "123456"}).headers["Location"] == "/staff/signin"


def test_a_wrong_enrolment_code_turns_nothing_on(client, db, agent):
    sign_in_staff(client, agent)
    client.get("/staff/two-factor")
    response = client.post("/staff/two-factor", data={"code": "000000"})
    assert response.status_code == 400
    db.session.expire_all()
    assert db.session.get(Staff, agent.id).totp_secret is None


def test_a_setting_requires_it_of_everyone(app, client, db, lead, agent):
    from portal import settings

    sign_in_staff(client, agent)
    assert client.get("/agent").status_code == 200
    settings.change(lead, {"two_factor_required": "everyone"})
    db.session.commit()
    assert client.get("/agent").headers["Location"] == "/staff/two-factor"
    assert two_factor.required(agent)
