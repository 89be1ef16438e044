"""Repair and callback opening hours on the settings page: stored with history and audit, hostile input refused,
and the slots customers are offered follow at once."""

import pytest
from sqlalchemy import select

from portal import bookings, settings
from portal.models import AuditEntry, SettingChange, utcnow
from tests.agent.helpers import sign_in_customer, sign_in_staff


def _changes(db):
    db.session.expire_all()
    return db.session.scalars(select(SettingChange)).all()


def test_booking_settings_default_to_the_environment(app):
    values = settings.current_values()

    assert values["repair_hours_mon"] == [["09:00", "17:00"]] and values["repair_hours_sun"] == []
    assert (values["repair_slot_minutes"], values["repair_slot_capacity"]) == (60, 2)
    assert (values["callback_slot_minutes"], values["callback_slot_capacity"]) == (30, 3)
    assert values["callback_holidays"] == []


def test_a_lead_changes_the_repair_hours_and_customers_are_offered_the_new_slots(client, db, lead):
    sign_in_staff(client, lead)
    form = settings.form_values()
    form.update({f"repair_hours_{day}": "" for day in ("mon", "tue", "wed", "thu", "fri")})
    form.update(repair_hours_sat="10:00-12:00", repair_slot_minutes="30", repair_slot_capacity="1",
                repair_holidays="2030-01-05")

    response = client.post("/admin/settings", data=form)

    assert response.status_code == 302
    changes = {c.key: (c.old_value, c.new_value) for c in _changes(db)}
    assert changes["repair_hours_sat"] == ([], [["10:00", "12:00"]])
    assert changes["repair_slot_capacity"] == (2, 1)
    audited = {e.detail["key"] for e in db.session.scalars(select(AuditEntry)
                                                           .where(AuditEntry.action == "settings.changed"))}
    assert {"repair_hours_sat", "repair_slot_minutes", "repair_holidays"} <= audited
    slots = bookings.free_slots("repair", utcnow())
    assert slots and all(s.start.weekday() == 5 and s.start.strftime("%M") in ("00", "30") for s in slots)
    page = client.get("/admin/settings")
    assert "Repair appointments" in page.text and "2030-01-05" in page.text


@pytest.mark.parametrize(("key", "value"), [
    ("repair_slot_capacity", "0"), ("repair_slot_capacity", "-1"), ("repair_slot_capacity", "²"),
    ("callback_slot_minutes", "4"), ("callback_slot_minutes", "1e3"), ("callback_hours_mon", "18:00-09:00"),
    ("repair_hours_tue", "<script>"), ("repair_holidays", "next tuesday"), ("callback_holidays", "2026-02-30"),
])
def test_hostile_booking_settings_are_refused_and_nothing_changes(client, db, lead, key, value):
    sign_in_staff(client, lead)
    form = settings.form_values()
    form.update({key: value, "repair_slot_minutes": "45"})

    response = client.post("/admin/settings", data=form)

    assert response.status_code == 400
    assert 'class="field-error"' in response.text and "<script>" not in response.text.split("<main")[-1]
    assert _changes(db) == []


def test_agents_and_customers_cannot_change_booking_settings(client, db, make_staff, customer):
    sign_in_staff(client, make_staff("agent"))
    assert client.post("/admin/settings", data={"repair_slot_capacity": "50"}).status_code == 403
    sign_in_customer(client, customer)
    assert client.post("/admin/settings", data={"repair_slot_capacity": "50"}).status_code == 403
    assert _changes(db) == []
