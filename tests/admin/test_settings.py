"""Settings in the browser: defaults from the environment, history, audit, hostile input, new cases follow."""

from datetime import UTC, datetime, timedelta
from html import unescape

import pytest
from sqlalchemy import select

from portal import settings
from portal.models import AuditEntry, SettingChange
from tests.agent.helpers import sign_in_customer, sign_in_staff


def _changes(db):
    db.session.expire_all()
    return db.session.scalars(select(SettingChange)).all()


def test_values_default_to_the_environment(app):
    values = settings.current_values()
    assert values["sla_first_response_minutes_high"] == 10
    assert values["sla_resolution_hours_low"] == 72
    assert values["sla_clock_high"] == "calendar"
    assert values["business_hours_mon"] == [["09:00", "18:00"]] and values["business_hours_sat"] == []


@pytest.mark.parametrize("role, status", [("agent", 403), ("lead", 200), ("admin", 200)])
def test_leads_and_admins_see_the_settings_and_agents_do_not(client, make_staff, make_admin, role, status):
    sign_in_staff(client, make_admin() if role == "admin" else make_staff(role))
    assert client.get("/admin/settings").status_code == status
    assert client.post("/admin/settings", data={"sla_first_response_minutes_high": "5"}).status_code == \
        (302 if status == 200 else 403)


def test_anonymous_and_customers_are_kept_out(client, db, customer):
    assert client.post("/admin/settings", data={"sla_first_response_minutes_high": "5"}).status_code == 302
    sign_in_customer(client, customer)
    assert client.get("/admin/settings").status_code == 403
    assert client.post("/admin/settings", data={"sla_first_response_minutes_high": "5"}).status_code == 403
    assert _changes(db) == []


def test_a_change_is_stored_with_history_and_audited_with_old_and_new(client, db, lead):
    sign_in_staff(client, lead)
    form = settings.form_values()
    form.update(sla_first_response_minutes_high="15", business_hours_fri="09:00-17:00", holidays="2026-12-25")
    response = client.post("/admin/settings", data=form)
    assert response.status_code == 302
    changes = {c.key: (c.old_value, c.new_value, c.staff_id) for c in _changes(db)}
    assert changes == {
        "sla_first_response_minutes_high": (10, 15, lead.id),
        "business_hours_fri": ([["09:00", "18:00"]], [["09:00", "17:00"]], lead.id),
        "holidays": ([], ["2026-12-25"], lead.id),
    }
    audited = {e.detail["key"]: (e.actor_id, e.detail["old"], e.detail["new"])
               for e in db.session.scalars(select(AuditEntry).where(AuditEntry.action == "settings.changed"))}
    assert audited["sla_first_response_minutes_high"] == (lead.id, 10, 15)
    page = client.get("/admin/settings")
    assert b"09:00-17:00" in page.data and b"2026-12-25" in page.data and lead.email.encode() in page.data


@pytest.mark.parametrize("key, value", [
    ("sla_first_response_minutes_high", "0"),
    ("sla_first_response_minutes_high", "-5"),
    ("sla_first_response_minutes_high", "²"),
    ("sla_first_response_minutes_high", "9223372036854775808"),
    ("sla_first_response_minutes_high", "<script>alert(1)</script>"),
    ("sla_resolution_hours_low", ""),
    ("sla_clock_high", "sometimes"),
    ("shop_timezone", "../../etc/passwd"),
    ("business_hours_mon", "9 to 5"),
    ("business_hours_tue", "18:00-09:00"),
    ("holidays", "2026-02-30"),
    ("holidays", "x" * 10000),
])
def test_hostile_values_are_refused_with_a_message_and_nothing_changes(client, db, lead, key, value):
    sign_in_staff(client, lead)
    form = settings.form_values()
    form.update({key: value, "sla_first_response_minutes_medium": "30"})
    response = client.post("/admin/settings", data=form)
    assert response.status_code == 400
    assert f'id="setting-{key}-error"'.encode() in response.data
    assert b"<script>alert(1)" not in response.data
    assert _changes(db) == []


def test_a_week_without_open_hours_is_refused(client, db, lead):
    sign_in_staff(client, lead)
    response = client.post("/admin/settings", data={f"business_hours_{d}": "" for d in
                                                     ("mon", "tue", "wed", "thu", "fri", "sat", "sun")})
    assert response.status_code == 400 and b"at least one day" in response.data
    assert _changes(db) == []


def test_a_business_hours_clock_makes_new_cases_due_in_open_hours(app, db, lead):
    settings.change(lead, {"sla_clock_high": "business", "shop_timezone": "Europe/Rome"})
    db.session.commit()
    friday_17_55_rome = datetime(2026, 6, 12, 15, 55, tzinfo=UTC)
    assert settings.sla_due("first_response", "high", friday_17_55_rome) == datetime(2026, 6, 15, 7, 5, tzinfo=UTC)
    # Other urgencies keep their calendar clocks.
    assert settings.sla_due("first_response", "medium", friday_17_55_rome) == friday_17_55_rome + timedelta(hours=1)
    assert settings.clock_resumes_at("high", datetime(2026, 6, 13, 10, tzinfo=UTC)) == \
        datetime(2026, 6, 15, 7, tzinfo=UTC)
    assert settings.clock_resumes_at("medium", datetime(2026, 6, 13, 10, tzinfo=UTC)) is None


def test_returns_and_survey_settings_default_to_the_environment(app):
    values = settings.current_values()
    assert (values["return_window_change_of_mind_days"], values["return_window_cross_border_days"],
            values["return_window_quality_days"]) == (7, 14, 30)
    assert (values["return_fee_change_of_mind_cents"], values["return_cross_border_shipping_cents"],
            values["return_high_value_cents"]) == (500, 1500, 50_000)
    assert (values["survey_delay_minutes"], values["survey_cooldown_days"]) == (60, 7)
    assert settings.form_values()["return_high_value_cents"] == "500.00"


def test_a_lead_sets_return_windows_fees_and_survey_timing_in_the_browser(client, db, lead):
    sign_in_staff(client, lead)
    page = unescape(client.get("/admin/settings").get_data(as_text=True))
    assert "Return fee for a change of mind (in the order's currency)" in page and 'value="5.00"' in page
    form = settings.form_values()
    form.update(return_window_change_of_mind_days="10", return_fee_change_of_mind_cents="3.5",
                return_high_value_cents="750", survey_delay_minutes="0", survey_cooldown_days="30")
    assert client.post("/admin/settings", data=form).status_code == 302
    changes = {c.key: (c.old_value, c.new_value) for c in _changes(db)}
    assert changes == {"return_window_change_of_mind_days": (7, 10), "return_fee_change_of_mind_cents": (500, 350),
                       "return_high_value_cents": (50_000, 75_000), "survey_delay_minutes": (60, 0),
                       "survey_cooldown_days": (7, 30)}
    page = client.get("/admin/settings").get_data(as_text=True)
    assert 'value="3.50"' in page and "5.00" in page  # the history shows the old fee as an amount too
    log = unescape(client.get("/admin/audit?kind=settings").get_data(as_text=True))
    assert "Return fee for a change of mind (in the order's currency): 5.00 → 3.50" in log


@pytest.mark.parametrize("key, value", [
    ("return_window_change_of_mind_days", "0"),
    ("return_window_quality_days", "731"),
    ("return_window_cross_border_days", "1e3"),
    ("return_fee_change_of_mind_cents", "-1"),
    ("return_fee_change_of_mind_cents", "5.555"),
    ("return_fee_change_of_mind_cents", "5,00"),
    ("return_fee_change_of_mind_cents", "NaN"),
    ("return_cross_border_shipping_cents", "100001"),
    ("return_high_value_cents", "٣٠٠"),
    ("return_high_value_cents", "9" * 40),
    ("survey_delay_minutes", "43201"),
    ("survey_cooldown_days", "<script>alert(1)</script>"),
])
def test_hostile_returns_and_survey_values_are_refused_and_nothing_changes(client, db, lead, key, value):
    sign_in_staff(client, lead)
    form = settings.form_values()
    form.update({key: value, "return_window_quality_days": "45" if key != "return_window_quality_days" else value})
    response = client.post("/admin/settings", data=form)
    assert response.status_code == 400
    assert f'id="setting-{key}-error"'.encode() in response.data
    assert b"<script>alert(1)" not in response.data
    assert _changes(db) == []


def test_an_agent_cannot_change_the_return_policy(client, db, agent):
    sign_in_staff(client, agent)
    assert client.post("/admin/settings", data={"return_fee_change_of_mind_cents": "0"}).status_code == 403
    assert _changes(db) == []


def test_the_survey_delay_applies_to_cases_resolved_afterwards(app, db, lead, customer):
    from portal.casework import service as cases
    from tests.agent.helpers import make_case
    from tests.cases.helpers import outbox

    before = make_case(customer)
    cases.transition(before, "resolved")
    db.session.commit()
    settings.change(lead, {"survey_delay_minutes": "180"})
    db.session.commit()
    after = make_case(customer)
    cases.transition(after, "resolved")
    db.session.commit()
    rows = {row.key: row for row in outbox(db, "survey.invite")}
    assert rows[f"survey:case:{before.id}"].not_before - before.resolved_at == timedelta(minutes=60)
    assert rows[f"survey:case:{after.id}"].not_before - after.resolved_at == timedelta(minutes=180)


def test_the_survey_cooldown_is_the_setting(app, db, lead, customer):
    from portal.models import Survey, utcnow
    from portal.surveys import service as surveys
    from tests.agent.helpers import make_case

    earlier, now_case = make_case(customer), make_case(customer)
    db.session.add(Survey(case_id=earlier.id, customer_id=customer.id, sent_at=utcnow() - timedelta(days=8)))
    db.session.commit()
    assert not surveys.surveyed_recently(customer.id, now_case.id, utcnow())
    settings.change(lead, {"survey_cooldown_days": "10"})
    db.session.commit()
    assert surveys.surveyed_recently(customer.id, now_case.id, utcnow())
