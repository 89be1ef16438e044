"""Staff sign-in: password check, session rotation, revocation on sign-out, no caching (delays: test_staff_throttle)."""

import pytest
from sqlalchemy import select

from portal.models import AuditEntry, StaffSession
from tests.agent.helpers import sign_in_customer

PASSWORD = "correct horse battery"


def _sign_in(client, email, password=PASSWORD, next_path=""):
    return client.post("/staff/signin", data={"email": email, "password": password, "next": next_path})


def test_an_agent_signs_in_with_the_right_password_and_lands_on_the_queue(client, agent):
    response = _sign_in(client, agent.email)
    assert response.status_code == 302
    assert response.headers["Location"] == "/agent"
    assert client.get("/agent").status_code == 200


def test_a_lead_lands_on_the_dashboard(client, lead):
    assert _sign_in(client, lead.email).headers["Location"] == "/lead"


def test_the_email_is_matched_whatever_its_case(client, agent):
    assert _sign_in(client, agent.email.upper()).status_code == 302


@pytest.mark.parametrize("email, password", [
    ("agent-nobody@example.com", PASSWORD),
    (None, "wrong password entirely"),
    (None, ""),
    ("", PASSWORD),
    ("<script>alert(1)</script>", PASSWORD),
    ("x" * 300 + "@example.com", PASSWORD),
    (None, "p" * 1000),
])
def test_wrong_or_hostile_credentials_are_refused_with_one_message(client, agent, email, password):
    response = _sign_in(client, agent.email if email is None else email, password)
    assert response.status_code == 400
    assert b"<script>alert(1)</script>" not in response.data
    with client.session_transaction() as session:
        assert "staff_id" not in session


def test_a_deactivated_account_cannot_sign_in(client, make_staff):
    staff = make_staff("agent", active=False)
    assert _sign_in(client, staff.email).status_code == 400


def test_sign_in_rotates_the_session(client, agent):
    with client.session_transaction() as session:
        session["sid"] = "planted-by-an-attacker"
        session["customer_id"] = 12345
    _sign_in(client, agent.email)
    with client.session_transaction() as session:
        assert session["sid"] != "planted-by-an-attacker"
        assert "customer_id" not in session
        assert session["staff_id"] == agent.id


def test_next_only_goes_to_paths_on_this_site(client, agent):
    assert _sign_in(client, agent.email, next_path="//evil.example/x").headers["Location"] == "/agent"
    client.post("/staff/signout")
    assert _sign_in(client, agent.email, next_path="/agent/callbacks").headers["Location"] == "/agent/callbacks"


def test_a_session_replayed_after_sign_out_is_refused(client, app, agent, db):
    _sign_in(client, agent.email)
    stolen = client.get_cookie("session").value
    assert client.get("/agent").status_code == 200
    client.post("/staff/signout")
    client.set_cookie("session", stolen)
    response = client.get("/agent")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/staff/signin")
    db.session.expire_all()
    record = db.session.scalars(select(StaffSession).where(StaffSession.staff_id == agent.id)).one()
    assert record.ended_at is not None and record.end_reason == "signed_out"


def test_signing_out_on_one_device_leaves_the_others_signed_in(app, agent):
    # Ending the others is a choice on "Your sessions" (tests/auth/test_staff_sessions.py).
    laptop, phone = app.test_client(), app.test_client()
    _sign_in(laptop, agent.email)
    _sign_in(phone, agent.email)
    laptop.post("/staff/signout")
    assert laptop.get("/agent").status_code == 302
    assert phone.get("/agent").status_code == 200


def test_an_expired_staff_session_is_refused(client, app, agent):
    _sign_in(client, agent.email)
    with client.session_transaction() as session:
        session["staff_at"] -= app.config["STAFF_SESSION_LIFETIME"].total_seconds() + 1
    assert client.get("/agent").status_code == 302


def test_a_tampered_session_value_signs_nobody_in(client, agent):
    with client.session_transaction() as session:
        session["staff_id"] = str(agent.id)
        session["staff_sv"] = agent.session_version
        session["staff_at"] = 0
    assert client.get("/agent").status_code == 302


def test_staff_pages_are_never_cached(client, agent):
    assert client.get("/staff/signin").headers["Cache-Control"] == "private, no-store"
    _sign_in(client, agent.email)
    assert client.get("/agent").headers["Cache-Control"] == "private, no-store"


def test_a_customer_session_does_not_sign_in_staff_and_the_other_way_round(client, customer, agent):
    sign_in_customer(client, customer)
    assert client.get("/agent").status_code == 403
    _sign_in(client, agent.email)
    with client.session_transaction() as session:
        assert "customer_id" not in session


def test_staff_create_command_makes_an_account_that_can_sign_in(runner, client, db):
    result = runner.invoke(args=["staff", "create", "New.Lead@Example.com", "--role", "lead",
                                 "--password", "a-long-password-1"])
    assert result.exit_code == 0, result.output
    assert _sign_in(client, "new.lead@example.com", "a-long-password-1").headers["Location"] == "/lead"
    # Creating the account is not audited (a shell is no staff member); the sign-in is.
    assert [e.action for e in db.session.query(AuditEntry)] == ["staff.signin"]
