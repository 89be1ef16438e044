"""The audit log viewer: one list of sign-ins, account and settings changes and case changes, filters, CSV."""

import csv
import io

import pytest

from portal import settings
from portal.admin import service
from tests.agent.helpers import make_case, sign_in_customer, sign_in_staff


@pytest.fixture
def history(client, db, admin, lead, agent, customer):
    """A sign-in, a failure, a role change, a settings change, and a case whose contact details were shown."""
    client.post("/staff/signin", data={"email": agent.email, "password": "wrong password here"})
    client.post("/staff/signin", data={"email": agent.email, "password": "correct horse battery"})
    client.post("/staff/signout")
    service.change_role(admin, agent, "lead")
    settings.change(lead, {"sla_first_response_minutes_high": "20"})
    case = make_case(customer)
    sign_in_staff(client, agent)
    client.post(f"/agent/cases/{case.reference}/reveal", data={"field": "phone"})
    db.session.commit()
    return case


def test_the_log_shows_every_kind_of_row(client, history, lead):
    sign_in_staff(client, lead)
    page = client.get("/admin/audit")
    assert page.status_code == 200
    for text in (b"Signed in", b"Sign-in failed", b"Role changed", b"Agent \xe2\x86\x92 Support lead",
                 b"High urgency: first response (minutes): 10 \xe2\x86\x92 20"):
        assert text in page.data, text


@pytest.mark.parametrize("kind, present, absent", [
    ("signin", b"Sign-in failed", b"Role changed"),
    ("accounts", b"Role changed", b"Sign-in failed"),
    ("settings", b"first response", b"Sign-in failed"),
])
def test_filters_narrow_the_list(client, history, lead, kind, present, absent):
    sign_in_staff(client, lead)
    page = client.get("/admin/audit", query_string={"kind": kind})
    assert present in page.data and absent not in page.data


def test_who_case_and_dates_filter(client, history, lead, agent):
    sign_in_staff(client, lead)
    mine = client.get("/admin/audit", query_string={"staff": lead.id})
    assert b"first response" in mine.data and b"Sign-in failed" not in mine.data
    case_rows = client.get("/admin/audit", query_string={"case": history.reference})
    assert b"Role changed" not in case_rows.data
    assert b"Contact details shown" in case_rows.data and b"phone number" in case_rows.data
    assert client.get("/admin/audit", query_string={"kind": "reveal"}).data.count(b"phone number") == 1
    assert client.get("/admin/audit", query_string={"from": "2000-01-01", "to": "2000-01-02"}).data.count(
        b"Nothing matches") == 1


def test_the_csv_has_the_filtered_rows_and_neutralises_formulas(client, db, history, lead, make_staff):
    hostile = make_staff("agent", email="=cmd@example.com")
    service.change_role(lead, hostile, "lead")
    db.session.commit()
    sign_in_staff(client, lead)
    response = client.get("/admin/audit.csv", query_string={"kind": "accounts"})
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert rows[0] == ["When (UTC)", "Who", "What", "Case", "Detail"]
    assert all(row[2] == "Role changed" for row in rows[1:]) and len(rows) == 3
    assert any(row[4].startswith("'=cmd@example.com") for row in rows[1:])


@pytest.mark.parametrize("args", [{"staff": "abc"}, {"staff": "²"}, {"kind": "everything'--"},
                                  {"case": "<script>alert(1)</script>"}, {"from": "2026-02-30"},
                                  {"from": "2026-03-02", "to": "2026-03-01"}, {"to": "x" * 5000}])
def test_hostile_filters_are_refused_with_a_message(client, lead, args):
    sign_in_staff(client, lead)
    page = client.get("/admin/audit", query_string=args)
    assert page.status_code == 400 and b'role="alert"' in page.data
    assert b"<script>alert(1)" not in page.data
    assert client.get("/admin/audit.csv", query_string=args).status_code == 400


@pytest.mark.parametrize("path", ["/admin/audit", "/admin/audit.csv"])
def test_only_leads_and_admins_read_the_log(client, customer, agent, admin, path):
    assert client.get(path).status_code == 302
    sign_in_customer(client, customer)
    assert client.get(path).status_code == 403
    sign_in_staff(client, agent)
    assert client.get(path).status_code == 403
    sign_in_staff(client, admin)
    assert client.get(path).status_code == 200


def test_leads_help_content_edits_are_listed_in_words_and_filtered(client, db, lead):
    from html import unescape

    from portal.lead import knowledge

    synonym = knowledge.save_synonym("en", "parcel", "package, box", actor=lead)
    db.session.commit()
    knowledge.delete_synonym(synonym, actor=lead)
    settings.change(lead, {"sla_first_response_minutes_high": "20"})
    db.session.commit()
    sign_in_staff(client, lead)
    page = unescape(client.get("/admin/audit?kind=knowledge").get_data(as_text=True))
    assert "Synonym created" in page and "Synonym deleted" in page
    assert "parcel: Language, Term, Synonyms" in page
    assert "first response" not in page and "Other action" not in page and "synonym." not in page
    everything = unescape(client.get("/admin/audit").get_data(as_text=True))
    assert "Synonym created" in everything and "first response" in everything
