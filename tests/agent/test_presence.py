"""Presence on a case page (real Redis), new messages without a reload, and the stale-reply check."""

from sqlalchemy import func, select

from portal.agent import presence
from portal.extensions import db as _db
from portal.models import CaseMessage
from tests.agent.helpers import make_case, sign_in_customer, sign_in_staff

HTMX = {"HX-Request": "true"}


def named(make_staff, name):
    staff = make_staff("agent")
    staff.name = name
    _db.session.commit()
    return staff


def report(client, case, after=0, seen=0, **extra):
    return client.post(f"/agent/cases/{case.reference}/presence", data={"after": after, "seen": seen, **extra},
                       headers=HTMX)


def test_each_agent_sees_the_other_and_who_is_typing(app, client, db, redis, customer, make_staff):
    case = make_case(customer)
    first, second = named(make_staff, "Ann Agent"), named(make_staff, "Bob Agent")
    other = app.test_client()

    sign_in_staff(client, first)
    sign_in_staff(other, second)
    alone = report(client, case).text
    report(other, case, typing="1")
    together = report(client, case).text

    assert "Nobody else has this case open." in alone
    assert "Also on this case: Bob Agent" in together
    assert "Bob Agent is writing a reply…" in together
    assert "Ann Agent" not in together  # never myself


def test_presence_expires_when_the_page_stops_reporting(app, db, redis, customer, make_staff):
    case = make_case(customer)
    first, second = make_staff("agent"), make_staff("agent")
    ttl = app.config["PRESENCE_TTL_SECONDS"]

    presence.report(case.id, second.id, typing=True, now=1000.0)

    assert [s.id for s in presence.others(case.id, first.id, now=1000.0 + ttl - 1).viewers] == [second.id]
    assert presence.others(case.id, first.id, now=1000.0 + app.config["PRESENCE_TYPING_SECONDS"] + 1).typing == []
    assert presence.others(case.id, first.id, now=1000.0 + ttl + 1).viewers == []
    assert 0 < redis.ttl(f"presence:case:{case.id}:open") <= ttl


def test_a_new_message_comes_with_the_next_report_once(client, db, redis, customer, agent):
    case = make_case(customer)
    sign_in_staff(client, agent)
    _db.session.add(CaseMessage(case_id=case.id, author_type="customer", body="Any news about my kettle?"))
    _db.session.commit()
    newest = _db.session.scalar(select(func.max(CaseMessage.id)))

    first = report(client, case, after=0, seen=0).text
    second = report(client, case, after=newest, seen=0).text

    assert 'hx-swap-oob="beforeend:#conversation"' in first and "Any news about my kettle?" in first
    assert f'name="after" value="{newest}"' in first
    assert "Any news about my kettle?" not in second
    assert "1 new message since you opened this case" in second


def test_without_javascript_a_report_goes_back_to_the_case(client, db, redis, customer, agent):
    case = make_case(customer)
    sign_in_staff(client, agent)

    response = client.post(f"/agent/cases/{case.reference}/presence", data={"after": 0, "seen": 0})

    assert response.status_code == 303
    assert response.headers["Location"] == f"/agent/cases/{case.reference}"


def test_the_case_page_has_the_polling_region_unless_presence_is_off(app, client, db, customer, agent):
    case = make_case(customer)
    sign_in_staff(client, agent)

    on = client.get(f"/agent/cases/{case.reference}").text
    app.config["PRESENCE_ENABLED"] = False
    off = client.get(f"/agent/cases/{case.reference}").text

    assert 'id="presence"' in on and 'hx-trigger="load, every 5s"' in on and 'aria-live="polite"' in on
    assert 'id="presence"' not in off


def test_only_agents_report_presence(app, client, db, redis, customer, make_customer):
    case = make_case(customer)
    path = f"/agent/cases/{case.reference}/presence"

    assert client.post(path, data={"after": 0, "seen": 0}).status_code == 302  # to the staff sign-in
    sign_in_customer(client, customer)
    assert client.post(path, data={"after": 0, "seen": 0}).status_code == 403


def test_hostile_presence_input_gets_400_or_404(client, db, redis, customer, agent):
    case = make_case(customer)
    sign_in_staff(client, agent)

    for values in ({"after": "abc"}, {"after": "-1"}, {"after": "9" * 30}, {"seen": "1e9"}, {"after": "１２"}):
        assert report(client, case, **values).status_code == 400, values
    assert report(client, case, typing="<script>").status_code == 200
    assert client.post("/agent/cases/C-NOPE%00/presence", data={}, headers=HTMX).status_code == 404
    assert client.get(f"/agent/cases/{case.reference}/presence").status_code == 405


def test_a_reply_after_someone_else_replied_asks_to_review_first(client, db, customer, agent, make_staff):
    case = make_case(customer, assignee_id=agent.id)
    sign_in_staff(client, agent)
    seen = presence.last_message_id(case)
    colleague = named(make_staff, "Cleo Colleague")
    _db.session.add(CaseMessage(case_id=case.id, author_type="agent", staff_id=colleague.id,
                                body="I have sent a replacement already."))
    _db.session.commit()

    refused = client.post(f"/agent/cases/{case.reference}/reply", data={"body": "We will refund you.", "seen": seen})
    newest = presence.last_message_id(case)
    sent = client.post(f"/agent/cases/{case.reference}/reply", data={"body": "We will refund you.", "seen": newest})

    assert refused.status_code == 409
    assert "1 new reply arrived while you wrote yours" in refused.text
    assert "I have sent a replacement already." in refused.text
    assert "We will refund you.</textarea>" in refused.text
    assert f'name="seen" value="{newest}"' in refused.text
    assert sent.status_code == 302
    bodies = _db.session.scalars(select(CaseMessage.body).where(CaseMessage.case_id == case.id)).all()
    assert bodies.count("We will refund you.") == 1


def test_my_own_reply_and_internal_notes_do_not_count_as_missed(client, db, customer, agent):
    case = make_case(customer, assignee_id=agent.id)
    sign_in_staff(client, agent)
    seen = presence.last_message_id(case)
    _db.session.add_all([CaseMessage(case_id=case.id, author_type="agent", staff_id=agent.id, body="first"),
                         CaseMessage(case_id=case.id, author_type="agent", staff_id=agent.id, body="note",
                                     internal=True)])
    _db.session.commit()

    response = client.post(f"/agent/cases/{case.reference}/reply", data={"body": "second", "seen": seen})

    assert response.status_code == 302


def test_a_hostile_seen_field_on_a_reply_gets_400_and_sends_nothing(client, db, customer, agent):
    case = make_case(customer, assignee_id=agent.id)
    sign_in_staff(client, agent)

    for seen in ("", "abc", "-3", "9" * 40, "１"):
        response = client.post(f"/agent/cases/{case.reference}/reply", data={"body": "Hello", "seen": seen})

        assert response.status_code == 400, seen
    assert _db.session.scalar(select(func.count(CaseMessage.id))) == 0
