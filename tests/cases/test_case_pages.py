"""The customer's case pages: owner only, conversation (htmx and plain), asking for a person, reopening."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from portal.casework import service
from portal.models import Case, CaseMessage, utcnow
from tests.conftest import without_form_token
from tests.orders.helpers import sign_in_as


def open_case(db, customer, first_status="escalated", urgency="high", description="The lid is cracked."):
    case = Case(kind="complaint", customer_id=customer.id, category="damaged_or_unsafe", description=description,
                urgency=urgency, priority=1)
    service.open_case(case, first_status, "test")
    db.session.commit()
    return case


@pytest.fixture
def case(db, customer):
    return open_case(db, customer)


def test_the_owner_sees_status_timeline_and_when_we_will_answer(client, case, customer):
    sign_in_as(client, customer)

    page = client.get(f"/cases/{case.reference}")

    assert page.status_code == 200
    assert "With a person" in page.text
    assert "We will answer by" in page.text
    assert "Request received" in page.text  # the timeline's first entry
    assert "no-store" in page.headers["Cache-Control"]


def test_another_customer_gets_the_same_404_as_for_a_case_that_does_not_exist(client, case, make_customer):
    sign_in_as(client, make_customer())

    theirs = client.get(f"/cases/{case.reference}")
    missing = client.get("/cases/C-ZZZZZZZZ")

    assert theirs.status_code == missing.status_code == 404
    assert without_form_token(theirs.text).replace(case.reference, "REF") == \
        without_form_token(missing.text).replace("C-ZZZZZZZZ", "REF")


@pytest.mark.parametrize("path", ["/cases", "/cases/C-ZZZZZZZZ"])
def test_visitors_are_sent_to_sign_in(client, path):
    response = client.get(path)

    assert response.status_code == 302
    assert response.headers["Location"].startswith("/signin")


def test_the_case_list_shows_only_the_customers_own_cases(client, db, case, customer, make_customer):
    other = open_case(db, make_customer())
    sign_in_as(client, customer)

    page = client.get("/cases").text

    assert case.reference in page and other.reference not in page


def test_internal_notes_never_reach_the_customer(client, db, case, customer, agent):
    db.session.add(CaseMessage(case_id=case.id, author_type="agent", staff_id=agent.id, body="VIP? check fraud",
                               internal=True))
    db.session.add(CaseMessage(case_id=case.id, author_type="agent", staff_id=agent.id, body="We are on it.",
                               internal=False))
    db.session.commit()
    sign_in_as(client, customer)

    page = client.get(f"/cases/{case.reference}").text

    assert "We are on it." in page
    assert "check fraud" not in page


def test_a_reply_with_htmx_swaps_the_conversation_and_without_redirects(client, db, case, customer):
    sign_in_as(client, customer)

    fragment = client.post(f"/cases/{case.reference}/messages", data={"body": "Any news? <b>please</b>"},
                           headers={"HX-Request": "true"})
    plain = client.post(f"/cases/{case.reference}/messages", data={"body": "Second message"})

    assert fragment.status_code == 200
    assert fragment.text.startswith('<section class="card case-conversation" id="conversation"')
    assert "Any news? &lt;b&gt;please&lt;/b&gt;" in fragment.text
    assert "HX-Request" in fragment.headers["Vary"]
    assert plain.status_code == 303 and plain.headers["Location"].endswith("#conversation")
    assert [m.body for m in service.visible_messages(case)] == ["Any news? <b>please</b>", "Second message"]


@pytest.mark.parametrize("body, message", [("", "Please write a message before sending."),
                                           ("x" * 100_000, "A message may be at most 5000 characters.")])
@pytest.mark.parametrize("htmx", [True, False])
def test_empty_or_huge_replies_are_refused_and_stored_data_is_unchanged(client, db, case, customer, body, message,
                                                                        htmx):
    sign_in_as(client, customer)

    response = client.post(f"/cases/{case.reference}/messages", data={"body": body},
                           headers={"HX-Request": "true"} if htmx else {})

    assert response.status_code == 400
    assert message in response.text
    assert ("<html" in response.text) is not htmx
    assert db.session.scalars(select(CaseMessage)).all() == []


def test_another_customer_cannot_reply_or_act_on_a_case(client, db, case, make_customer):
    sign_in_as(client, make_customer())

    for action in ("messages", "help", "solved", "reopen"):
        assert client.post(f"/cases/{case.reference}/{action}", data={"body": "hi"}).status_code == 404
    db.session.refresh(case)
    assert case.status == "escalated"


def test_i_still_need_help_escalates_an_acknowledged_case(client, db, customer):
    case = open_case(db, customer, "acknowledged", urgency="medium")
    sign_in_as(client, customer)
    page = client.get(f"/cases/{case.reference}").text
    assert "I still need help" in page and "This solved it" in page

    response = client.post(f"/cases/{case.reference}/help")

    assert response.status_code == 303
    db.session.refresh(case)
    assert case.status == "escalated" and case.escalated


def test_this_solved_it_resolves_an_acknowledged_case(client, db, customer):
    case = open_case(db, customer, "acknowledged", urgency="low")
    sign_in_as(client, customer)

    client.post(f"/cases/{case.reference}/solved")

    db.session.refresh(case)
    assert case.status == "resolved"


def test_asking_for_a_person_twice_is_refused_with_a_message(client, db, case, customer):
    sign_in_as(client, customer)

    response = client.post(f"/cases/{case.reference}/help", follow_redirects=True)

    assert "This case is already with a person." in response.text


def test_a_resolved_case_can_be_reopened_within_the_window_and_not_after(client, db, case, customer, app):
    service.transition(case, "resolved", now=utcnow() - timedelta(days=3))
    db.session.commit()
    sign_in_as(client, customer)
    assert "Reopen this case" in client.get(f"/cases/{case.reference}").text

    client.post(f"/cases/{case.reference}/reopen")

    db.session.refresh(case)
    assert case.status == "reopened" and case.escalated
    service.transition(case, "resolved", now=utcnow() - timedelta(days=app.config["REOPEN_WINDOW_DAYS"] + 1))
    db.session.commit()
    response = client.post(f"/cases/{case.reference}/reopen", follow_redirects=True)
    assert "This case can no longer be reopened." in response.text
    db.session.refresh(case)
    assert case.status == "resolved"


@pytest.mark.parametrize("days, words", [(14, "for 14 days after"), (1, "for 1 day after")])
def test_the_reopen_offer_names_the_window_in_force(client, db, case, customer, app, days, words):
    app.config["REOPEN_WINDOW_DAYS"] = days
    service.transition(case, "resolved", now=utcnow() - timedelta(hours=1))
    db.session.commit()
    sign_in_as(client, customer)

    assert f"You can reopen this case {words} it was resolved." in client.get(f"/cases/{case.reference}").text


def test_the_account_page_links_each_case(client, case, customer):
    sign_in_as(client, customer)

    assert f'href="/cases/{case.reference}"' in client.get("/account").text


@pytest.mark.parametrize(("resolution", "locale", "words"), [
    ("refund", "en", "A refund of $12.50 is requested from the shop"),
    ("coupon", "en", "A coupon worth $12.50 is requested from the shop"),
    ("refund", "zh", "已向商家申请"),
])
def test_money_an_agent_resolved_with_reads_requested_until_the_shop_confirms(client, db, case, customer, resolution,
                                                                              locale, words):
    customer.locale = locale
    case.resolution_type, case.resolution_amount_cents, case.currency = resolution, 1250, "USD"
    service.transition(case, "resolved")
    db.session.commit()
    sign_in_as(client, customer)

    page = client.get(f"/cases/{case.reference}", headers={"Accept-Language": locale}).text

    assert words in page
