"""/admin: who may see and change staff accounts, invitations, roles and deactivation, hostile input."""

import pytest
from sqlalchemy import select

from portal.models import AuditEntry, Case, CaseEvent, OutboxRow, SettingChange, Staff
from tests.agent.helpers import make_case, sign_in_customer, sign_in_staff
from tests.orders.helpers import links_in
from worker import runtime

NEW_PASSWORD = "a brand new passphrase"


def _routes(target_id):
    """(method, path, form, the least role that may use it) for every /admin route."""
    return [
        ("get", "/admin", None, "lead"),
        ("get", "/admin/staff", None, "lead"),
        ("post", "/admin/staff/invite", {"email": "new.agent@example.com", "name": "New", "role": "agent"}, "admin"),
        ("post", f"/admin/staff/{target_id}/role", {"role": "lead"}, "admin"),
        ("post", f"/admin/staff/{target_id}/deactivate", {}, "admin"),
        ("post", f"/admin/staff/{target_id}/reactivate", {}, "admin"),
        ("get", "/admin/settings", None, "lead"),
        ("post", "/admin/settings", {"sla_first_response_minutes_high": "12"}, "lead"),
        ("get", "/admin/audit", None, "lead"),
        ("get", "/admin/audit.csv", None, "lead"),
    ]


RANK = ("anonymous", "customer", "agent", "lead", "admin")


def _snapshot(db):
    db.session.expire_all()
    return sorted((s.email, s.role, s.active, s.session_version) for s in db.session.scalars(select(Staff)))


@pytest.mark.parametrize("role", ["anonymous", "customer", "agent", "lead", "admin"])
def test_access_matrix_over_every_admin_route(app, client, db, customer, make_staff, make_admin, role):
    target = make_staff("agent")
    if role == "customer":
        sign_in_customer(client, customer)
    elif role != "anonymous":
        sign_in_staff(client, make_admin() if role == "admin" else make_staff(role))
    # The shop endpoints' routes have their own matrix (tests/admin/test_shop_endpoints.py).
    admin_routes = {(rule.rule, method.lower()) for rule in app.url_map.iter_rules()
                    if rule.rule.startswith("/admin") and not rule.rule.startswith("/admin/shop-endpoints")
                    for method in rule.methods - {"HEAD", "OPTIONS"}}
    covered = {(path.replace(str(target.id), "<int:staff_id>"), method) for method, path, *_ in _routes(target.id)}
    assert admin_routes == covered, "a new /admin route needs a row in this matrix"
    for method, path, data, least in _routes(target.id):
        before = _snapshot(db), len(db.session.scalars(select(SettingChange)).all())
        response = getattr(client, method)(path, data=data)
        if role == "anonymous":
            assert response.status_code == 302 and response.headers["Location"].startswith("/staff/signin"), path
        elif RANK.index(role) < RANK.index(least):
            assert response.status_code == 403, (role, path)
        else:
            assert response.status_code in (200, 302), (role, path, response.status_code)
        if RANK.index(role) < RANK.index(least) or method == "get":
            db.session.expire_all()
            assert (_snapshot(db), len(db.session.scalars(select(SettingChange)).all())) == before, (role, path)


def test_the_list_shows_role_state_and_last_sign_in_and_a_lead_sees_no_controls(client, lead, admin, make_staff):
    make_staff("agent", email="quiet@example.com")
    sign_in_staff(client, lead)
    page = client.get("/admin/staff")
    assert page.status_code == 200
    assert b"quiet@example.com" in page.data and b"Never" in page.data and b"Support lead" in page.data
    assert b"Invite someone" not in page.data and b"/deactivate" not in page.data


def test_invite_set_password_and_sign_in(app, client, db, redis, mail_sink, admin):
    sign_in_staff(client, admin)
    response = client.post("/admin/staff/invite", data={"email": "New.Agent@Example.com", "name": "Nia New",
                                                        "role": "agent"})
    assert response.status_code == 302
    staff = db.session.scalar(select(Staff).where(Staff.email == "new.agent@example.com"))
    assert staff.invited and staff.role == "agent"
    runtime.run(app, burst=True)
    [message] = mail_sink.to("new.agent@example.com")
    [link] = [url.replace("http://portal.test", "") for url in links_in(message) if "/staff/join/" in url]
    newcomer = app.test_client()
    assert newcomer.post("/staff/signin", data={"email": "new.agent@example.com", "password": ""}).status_code == 400
    assert newcomer.get(link).status_code == 200
    assert newcomer.post(link, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}).status_code == 302
    assert newcomer.get(link).status_code == 410
    signed_in = newcomer.post("/staff/signin", data={"email": "new.agent@example.com", "password": NEW_PASSWORD})
    assert signed_in.headers["Location"] == "/agent"
    actions = [e.action for e in db.session.scalars(select(AuditEntry).order_by(AuditEntry.id))]
    assert actions == ["staff.invited", "staff.joined", "staff.signin"]


def test_an_address_that_has_an_account_is_not_invited_again(client, db, admin, agent):
    sign_in_staff(client, admin)
    response = client.post("/admin/staff/invite", data={"email": agent.email.upper(), "role": "lead"})
    assert response.status_code == 400 and b"already has a staff account" in response.data
    assert db.session.scalars(select(OutboxRow)).all() == []


@pytest.mark.parametrize("data", [
    {"email": "", "role": "agent"},
    {"email": "not-an-address", "role": "agent"},
    {"email": "x" * 250 + "@example.com", "role": "agent"},
    {"email": "<script>alert(1)</script>@example.com", "role": "agent"},
    {"email": "ok@example.com", "role": "superuser"},
    {"email": "ok@example.com", "role": ""},
    {"email": "ok@example.com", "role": "agent", "name": "n" * 121},
])
def test_hostile_invitations_are_refused_with_a_message_and_store_nothing(client, db, admin, data):
    sign_in_staff(client, admin)
    before = _snapshot(db)
    response = client.post("/admin/staff/invite", data=data)
    assert response.status_code == 400
    assert b'class="field-error"' in response.data
    assert b"<script>alert(1)" not in response.data
    assert _snapshot(db) == before
    assert db.session.scalars(select(OutboxRow)).all() == []


@pytest.mark.parametrize("role", ["superuser", "", "admin' OR 1=1 --", "Lead"])
def test_hostile_roles_are_refused_and_change_nothing(client, db, admin, agent, role):
    sign_in_staff(client, admin)
    before = _snapshot(db)
    response = client.post(f"/admin/staff/{agent.id}/role", data={"role": role})
    assert response.status_code == 400 and b"Choose a role." in response.data
    assert _snapshot(db) == before


@pytest.mark.parametrize("path", ["/admin/staff/999999/role", "/admin/staff/999999/deactivate",
                                  "/admin/staff/-1/deactivate", "/admin/staff/abc/reactivate"])
def test_unknown_accounts_are_not_found(client, admin, path):
    sign_in_staff(client, admin)
    assert client.post(path, data={"role": "agent"}).status_code == 404


def test_an_admin_cannot_change_or_switch_off_their_own_account(client, db, admin):
    sign_in_staff(client, admin)
    before = _snapshot(db)
    assert client.post(f"/admin/staff/{admin.id}/role", data={"role": "agent"}).status_code == 400
    refused = client.post(f"/admin/staff/{admin.id}/deactivate")
    assert refused.status_code == 400 and b"your own account" in refused.data
    assert _snapshot(db) == before


def test_a_role_change_is_audited_with_old_and_new(client, db, admin, agent):
    sign_in_staff(client, admin)
    assert client.post(f"/admin/staff/{agent.id}/role", data={"role": "lead"}).status_code == 302
    [entry] = db.session.scalars(select(AuditEntry)).all()
    assert (entry.action, entry.actor_id, entry.target_id, entry.detail) == \
        ("staff.role_changed", admin.id, agent.id, {"old": "agent", "new": "lead"})


def test_a_deactivated_agents_open_session_is_refused_and_their_cases_go_back_to_the_queue(
        app, client, db, admin, agent, customer):
    mine = make_case(customer, assignee_id=agent.id)
    solved = make_case(customer, assignee_id=agent.id, status="solved")
    agents_browser = app.test_client()
    agents_browser.post("/staff/signin", data={"email": agent.email, "password": "correct horse battery"})
    assert agents_browser.get("/agent").status_code == 200
    sign_in_staff(client, admin)
    assert client.post(f"/admin/staff/{agent.id}/deactivate").status_code == 302
    assert agents_browser.get("/agent").status_code == 302
    db.session.expire_all()
    assert db.session.get(Case, mine.id).assignee_id is None
    assert db.session.get(Case, solved.id).assignee_id == agent.id
    [event] = db.session.scalars(select(CaseEvent).where(CaseEvent.case_id == mine.id)).all()
    assert (event.field, event.old_value, event.new_value, event.staff_id) == ("assignee", agent.email, "", admin.id)
    [entry] = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "staff.deactivated")).all()
    assert entry.detail == {"cases": [mine.reference]}
    assert agents_browser.post("/staff/signin", data={"email": agent.email,
                                                      "password": "correct horse battery"}).status_code == 400
    assert client.post(f"/admin/staff/{agent.id}/reactivate").status_code == 302
    assert agents_browser.post("/staff/signin", data={"email": agent.email,
                                                      "password": "correct horse battery"}).status_code == 302


def test_staff_create_makes_an_admin_who_lands_on_the_admin_pages(runner, client):
    result = runner.invoke(args=["staff", "create", "boss@example.com", "--role", "admin",
                                 "--password", "a-long-password-1"])
    assert result.exit_code == 0, result.output
    response = client.post("/staff/signin", data={"email": "boss@example.com", "password": "a-long-password-1"})
    assert response.headers["Location"] == "/admin/staff"
    # An admin turns on two-factor sign-in before any other page.
    for path in ("/admin/staff", "/lead", "/agent"):
        assert client.get(path).headers["Location"] == "/staff/two-factor"


@pytest.mark.parametrize("email", [
    "😀@example.com", "name@😀.com", "名字@example.com", "josé@example.com", "name@bücher.de",  # our mail is ASCII
    "name@example", "name@@example.com", "name@exa mple.com", "name@example..com", "name.@example.com",
    ".name@example.com", "name@-example.com", "name@example.com.", "@example.com", "name@", "name",
])
def test_an_invalid_address_is_refused_next_to_the_field_as_typed_and_nothing_is_stored(client, db, admin, email):
    sign_in_staff(client, admin)
    before = _snapshot(db)

    response = client.post("/admin/staff/invite", data={"email": email, "name": "Nia", "role": "agent"})

    assert response.status_code == 400
    assert ('<p id="invite-email-error" class="field-error">Enter an e-mail address like name@example.com.</p>'
            in response.text)
    assert f'value="{email}" aria-invalid="true" aria-describedby="invite-email-error"' in response.text
    assert 'value="Nia"' in response.text
    assert '<li><a href="#invite-email">Enter an e-mail address like name@example.com.</a></li>' in response.text
    assert "Invitation sent" not in response.text
    assert _snapshot(db) == before
    assert db.session.scalars(select(OutboxRow)).all() == []


def test_an_address_that_has_an_account_is_refused_on_the_field_whatever_its_case(client, db, admin, make_staff):
    make_staff("agent", email="agent@example.com")
    sign_in_staff(client, admin)
    before = _snapshot(db)

    response = client.post("/admin/staff/invite", data={"email": " Agent@Example.COM ", "role": "lead"})

    assert response.status_code == 400
    assert ('<p id="invite-email-error" class="field-error">That address already has a staff account.</p>'
            in response.text)
    assert 'value="Agent@Example.COM" aria-invalid="true" aria-describedby="invite-email-error"' in response.text
    assert '<li><a href="#invite-email">That address already has a staff account.</a></li>' in response.text
    assert 'class="notice notice-warning"' not in response.text  # not only a notice far from the field
    assert _snapshot(db) == before
    assert db.session.scalars(select(OutboxRow)).all() == []


def test_an_address_typed_with_spaces_around_it_is_invited(client, db, admin):
    sign_in_staff(client, admin)

    response = client.post("/admin/staff/invite", data={"email": "  nia.new@example.com ", "role": "agent"})

    assert response.status_code == 302
    assert db.session.scalar(select(Staff).where(Staff.email == "nia.new@example.com")).invited
