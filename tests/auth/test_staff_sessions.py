"""Staff sessions: one row per signed-in browser, idle expiry (a setting), and "Your sessions" where a staff member
ends one other session or all but this one."""

from datetime import timedelta

import pyotp
import pytest
from sqlalchemy import select

from portal import settings
from portal.models import AuditEntry, SettingChange, Staff, StaffSession, utcnow
from tests.agent.helpers import sign_in_customer, sign_in_staff

PASSWORD = "correct horse battery"
FIREFOX_ON_WINDOWS = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0"


def _sign_in(client, staff, user_agent=FIREFOX_ON_WINDOWS):
    return client.post("/staff/signin", data={"email": staff.email, "password": PASSWORD},
                       headers={"User-Agent": user_agent})


def _rows(db, staff):
    db.session.expire_all()
    return db.session.scalars(select(StaffSession).where(StaffSession.staff_id == staff.id)
                              .order_by(StaffSession.id)).all()


def _seen_ago(db, record, delta):
    db.session.get(StaffSession, record.id).last_seen_at = utcnow() - delta
    db.session.commit()


def test_signing_in_records_the_browser_the_address_and_the_time(client, db, agent):
    _sign_in(client, agent)
    [record] = _rows(db, agent)
    assert (record.browser, record.system, record.ip_address) == ("Firefox 133", "Windows", "127.0.0.1")
    assert record.ended_at is None
    assert utcnow() - record.signed_in_at < timedelta(minutes=1)


def test_an_unreadable_user_agent_is_kept_as_unknown(client, db, agent):
    _sign_in(client, agent, user_agent="<script>alert(1)</script>" * 40)
    [record] = _rows(db, agent)
    assert (record.browser, record.system) == ("", "")
    page = client.get("/staff/sessions").get_data(as_text=True)
    assert "Unknown browser" in page and "<script>alert(1)" not in page


def test_a_session_idle_past_the_limit_is_refused(app, client, db, agent):
    record = sign_in_staff(client, agent)
    _seen_ago(db, record, app.config["STAFF_IDLE_TIMEOUT"] + timedelta(seconds=5))
    response = client.get("/agent")
    assert response.status_code == 302 and response.headers["Location"].startswith("/staff/signin")


def test_an_active_session_stays_signed_in_and_its_last_seen_moves_on(app, client, db, agent):
    record = sign_in_staff(client, agent)
    _seen_ago(db, record, app.config["STAFF_IDLE_TIMEOUT"] - timedelta(minutes=1))
    assert client.get("/agent").status_code == 200
    [record] = _rows(db, agent)
    assert utcnow() - record.last_seen_at < timedelta(minutes=1)


def test_last_seen_is_not_rewritten_on_every_page(client, db, agent):
    record = sign_in_staff(client, agent)
    _seen_ago(db, record, timedelta(seconds=10))
    before = _rows(db, agent)[0].last_seen_at
    client.get("/agent")
    assert _rows(db, agent)[0].last_seen_at == before


def test_the_idle_limit_is_a_setting_a_lead_changes(client, db, agent, lead):
    assert settings.change(lead, {"staff_idle_minutes": "15"}) == (["staff_idle_minutes"], {})
    db.session.commit()
    record = sign_in_staff(client, agent)
    _seen_ago(db, record, timedelta(minutes=16))
    assert client.get("/agent").status_code == 302


@pytest.mark.parametrize("value", ["0", "4", "10081", "abc", "", "15.5", "-5", "²"])
def test_a_hostile_idle_limit_is_refused_and_nothing_changes(client, db, lead, value):
    sign_in_staff(client, lead)
    response = client.post("/admin/settings", data={"staff_idle_minutes": value})
    assert response.status_code == 400
    assert "Give a whole number from 5 to 10080." in response.get_data(as_text=True)
    assert db.session.scalars(select(SettingChange)).all() == []


def test_the_page_lists_my_open_sessions_and_marks_this_one(client, db, agent, make_staff):
    mine = sign_in_staff(client, agent)
    other = sign_in_staff(agent_client := client.application.test_client(), agent, browser="Mobile Safari 17",
                          system="iOS", ip_address="198.51.100.7")
    ended = sign_in_staff(client.application.test_client(), agent, browser="Opera 1", ip_address="203.0.113.99")
    idle = sign_in_staff(client.application.test_client(), agent, browser="Edge 2", ip_address="203.0.113.98")
    someone_else = sign_in_staff(client.application.test_client(), make_staff("agent"), ip_address="203.0.113.97")
    db.session.get(StaffSession, ended.id).ended_at = utcnow()
    db.session.commit()
    _seen_ago(db, idle, timedelta(days=1))

    page = client.get("/staff/sessions").get_data(as_text=True)
    assert "Firefox 133 on Linux" in page and "This browser" in page
    assert "Mobile Safari 17 on iOS" in page and "198.51.100.7" in page
    assert f"/staff/sessions/{other.id}/end" in page
    assert f"/staff/sessions/{mine.id}/end" not in page
    for hidden in ("203.0.113.99", "203.0.113.98", "203.0.113.97"):
        assert hidden not in page
    assert someone_else.id not in (r.id for r in _rows(db, agent))
    assert agent_client.get("/agent").status_code == 200


def test_ending_one_session_signs_that_browser_out_at_once_and_is_audited(app, client, db, agent):
    sign_in_staff(client, agent)
    phone = app.test_client()
    other = sign_in_staff(phone, agent, browser="Mobile Safari 17", system="iOS", ip_address="198.51.100.7")
    response = client.post(f"/staff/sessions/{other.id}/end")
    assert response.status_code == 302 and response.headers["Location"] == "/staff/sessions"
    assert phone.get("/agent").status_code == 302
    assert client.get("/agent").status_code == 200
    [_mine, ended] = _rows(db, agent)
    assert ended.end_reason == "ended_by_owner"
    [entry] = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "staff.session_ended")).all()
    assert entry.actor_id == agent.id
    assert entry.detail == {"session": other.id, "browser": "Mobile Safari 17", "system": "iOS",
                            "ip": "198.51.100.7"}


@pytest.mark.parametrize("target", ["someone_elses", "mine", "ended", "missing"])
def test_ending_a_session_that_is_not_one_of_my_others_is_refused_and_changes_nothing(app, client, db, agent,
                                                                                      make_staff, target):
    mine = sign_in_staff(client, agent)
    stranger = make_staff("agent")
    theirs = sign_in_staff(app.test_client(), stranger)
    ended = sign_in_staff(app.test_client(), agent)
    db.session.get(StaffSession, ended.id).ended_at = utcnow()
    db.session.commit()
    session_id = {"someone_elses": theirs.id, "mine": mine.id, "ended": ended.id, "missing": 10**9}[target]
    assert client.post(f"/staff/sessions/{session_id}/end").status_code == 404
    assert [r.ended_at for r in _rows(db, stranger)] == [None]
    assert _rows(db, agent)[0].ended_at is None
    assert db.session.scalars(select(AuditEntry).where(AuditEntry.action.like("staff.session%"))).all() == []


def test_hostile_session_ids_are_404(client, agent):
    sign_in_staff(client, agent)
    for path in ("/staff/sessions/abc/end", "/staff/sessions/-1/end", "/staff/sessions/1%00/end"):
        assert client.post(path).status_code == 404


def test_signing_out_everywhere_else_keeps_this_browser_and_ends_the_rest(app, client, db, agent):
    sign_in_staff(client, agent)
    laptop, phone = app.test_client(), app.test_client()
    _sign_in(laptop, agent)
    sign_in_staff(phone, agent)
    # A sign-in halfway through its second step is ended too.
    agent_with_code = db.session.get(Staff, agent.id)
    agent_with_code.totp_secret = pyotp.random_base32(32)
    db.session.commit()
    stranger = app.test_client()
    assert _sign_in(stranger, agent).headers["Location"] == "/staff/signin/code"

    response = client.post("/staff/sessions/end-others")
    assert response.status_code == 302
    assert client.get("/agent").status_code == 200
    assert laptop.get("/agent").status_code == 302 and phone.get("/agent").status_code == 302
    code = pyotp.TOTP(agent_with_code.totp_secret).now()
    assert stranger.post("/staff/signin/code", data={"code": code}).headers["Location"] == "/staff/signin"
    rows = _rows(db, agent)
    assert [r.end_reason for r in rows] == ["", "ended_by_owner", "ended_by_owner"]
    [entry] = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "staff.sessions_ended")).all()
    assert entry.detail == {"count": 2}
    assert "Sign out everywhere else" not in client.get("/staff/sessions").get_data(as_text=True)


def test_a_deactivated_accounts_sessions_end_and_leave_the_list(app, client, db, agent, make_staff):
    sign_in_staff(client, agent)
    admin = make_staff("admin", totp_secret=pyotp.random_base32(32))
    admin_client = app.test_client()
    sign_in_staff(admin_client, admin)
    assert admin_client.post(f"/admin/staff/{agent.id}/deactivate").status_code == 302
    assert client.get("/agent").status_code == 302
    assert [r.end_reason for r in _rows(db, agent)] == ["deactivated"]


def test_a_new_password_from_a_reset_link_ends_every_session(app, client, db, agent):
    from portal.auth.staff import link_token

    sign_in_staff(client, agent)
    token = link_token(agent, "reset")
    other = app.test_client()
    response = other.post(f"/staff/password/{token}", data={"password": "a brand new password", "confirm":
                                                           "a brand new password"})
    assert response.status_code == 302
    assert client.get("/agent").status_code == 302
    assert [r.end_reason for r in _rows(db, agent)] == ["password_set"]


@pytest.mark.parametrize("method, path", [("GET", "/staff/sessions"), ("POST", "/staff/sessions/end-others"),
                                          ("POST", "/staff/sessions/1/end")])
def test_who_reaches_the_sessions_pages(app, client, db, customer, make_staff, method, path):
    call = (lambda c: c.get(path)) if method == "GET" else (lambda c: c.post(path))
    response = call(client)
    assert response.status_code == 302 and response.headers["Location"].startswith("/staff/signin")
    sign_in_customer(client, customer)
    assert call(client).status_code == 403
    for role in ("agent", "lead", "admin"):
        staff = make_staff(role, totp_secret=pyotp.random_base32(32) if role == "admin" else None)
        staff_client = app.test_client()
        sign_in_staff(staff_client, staff)
        # Session 1 belongs to the first account signed in above, if anyone's: never theirs.
        expected = {"GET": 200, "/staff/sessions/end-others": 302}.get(method if method == "GET" else path, 404)
        assert call(staff_client).status_code == expected, (role, method, path)


def test_the_audit_log_shows_ended_sessions_in_words_with_the_sign_ins(app, client, db, agent, lead):
    sign_in_staff(client, agent)
    other = sign_in_staff(app.test_client(), agent, browser="Mobile Safari 17", system="iOS",
                          ip_address="198.51.100.7")
    client.post(f"/staff/sessions/{other.id}/end")
    sign_in_staff(app.test_client(), agent)
    client.post("/staff/sessions/end-others")
    lead_client = app.test_client()
    sign_in_staff(lead_client, lead)
    page = lead_client.get("/admin/audit?kind=signin").get_data(as_text=True)
    assert "Signed out one of their sessions" in page and "Mobile Safari 17, iOS, 198.51.100.7" in page
    assert "Signed out everywhere else" in page and "1 session" in page
    assert "staff.session" not in page


def test_signing_in_again_in_the_same_browser_ends_its_previous_session(client, db, agent, lead):
    _sign_in(client, agent)
    _sign_in(client, lead)
    [previous] = _rows(db, agent)
    assert previous.end_reason == "signed_in_again"
    assert len(_rows(db, lead)) == 1


def test_a_session_past_its_lifetime_is_not_listed(app, client, db, agent):
    sign_in_staff(client, agent)
    old = sign_in_staff(app.test_client(), agent, ip_address="203.0.113.50")
    db.session.get(StaffSession, old.id).signed_in_at = utcnow() - app.config["STAFF_SESSION_LIFETIME"] - \
        timedelta(minutes=1)
    db.session.commit()
    assert "203.0.113.50" not in client.get("/staff/sessions").get_data(as_text=True)


POLL = {"HX-Request": "true", "HX-Trigger": "queue", "HX-Current-URL": "http://localhost/agent?urgency=high"}


def test_a_queue_refreshing_itself_does_not_keep_the_session_from_going_idle(client, db, agent):
    record = sign_in_staff(client, agent)
    _seen_ago(db, record, timedelta(minutes=10))
    before = _rows(db, agent)[0].last_seen_at
    assert client.get("/agent?urgency=high", headers=POLL).status_code == 200
    assert _rows(db, agent)[0].last_seen_at == before
    # A person's own click counts.
    client.get("/agent", headers={"HX-Request": "true", "HX-Boosted": "true"})
    assert utcnow() - _rows(db, agent)[0].last_seen_at < timedelta(minutes=1)


def test_an_idle_sessions_refreshing_queue_takes_the_whole_page_to_the_sign_in(app, client, db, agent):
    record = sign_in_staff(client, agent)
    _seen_ago(db, record, app.config["STAFF_IDLE_TIMEOUT"] + timedelta(minutes=1))
    response = client.get("/agent?urgency=high", headers=POLL)
    assert response.status_code == 401 and response.data == b""
    assert response.headers["HX-Redirect"] == "/staff/signin?next=/agent?urgency%3Dhigh"
    hostile = dict(POLL, **{"HX-Current-URL": "https://evil.example//evil.example/x"})
    assert client.get("/agent", headers=hostile).headers["HX-Redirect"] == "/staff/signin"
