"""The complaint form: sign-in, pre-filling from the order page, triage on submit, hostile input, suggestions."""

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from portal.embedded_redis import EmbeddedRedis
from portal.models import Case, SearchLog, utcnow
from tests.cases.helpers import outbox
from tests.help.conftest import faq  # noqa: F401  (the indexed FAQ corpus)
from tests.orders.helpers import sign_in_as

VALID = {"description": "The kettle arrived damaged, the lid is cracked.", "category": "damaged_or_unsafe",
         "order": "", "desired_outcome": "replacement"}


def case_count(db):
    return db.session.scalar(select(func.count(Case.id)))


def file(client, **overrides):
    return client.post("/complaints/new", data={**VALID, **overrides})


def test_visitors_are_asked_to_sign_in_and_come_back_to_the_same_form(client):
    response = client.get("/complaints/new?order=T1&reason=late")

    assert response.status_code == 303
    assert response.headers["Location"].startswith("/signin?next=")
    assert "reason%3Dlate" in response.headers["Location"]


def test_a_late_order_link_prefills_the_order_and_the_category(client, make_order, customer):
    order = make_order(customer=customer, status="paid", ship_by=utcnow() - timedelta(days=2))
    sign_in_as(client, customer)

    page = client.get(f"/complaints/new?order={order.number}&reason=late").text

    assert f'<option selected value="{order.number}">' in page
    assert '<option selected value="late_or_lost">' in page
    assert '<label for="description">' in page


def test_a_late_order_complaint_is_escalated_with_the_delay_in_words(client, db, make_order, customer):
    order = make_order(customer=customer, status="paid", ship_by=utcnow() - timedelta(days=3, hours=1))
    sign_in_as(client, customer)

    response = file(client, description="Where is my order please?", category="late_or_lost", order=order.number,
                    desired_outcome="explanation")

    case = db.session.scalar(select(Case))
    assert response.status_code == 303
    assert response.headers["Location"] == f"/cases/{case.reference}"
    assert (case.status, case.urgency, case.escalated, case.order_id) == ("escalated", "high", True, order.id)
    assert f"order #{order.number} is 3 days past its ship-by date" in [r["text"] for r in case.triage_reasons]
    assert [row.args for row in outbox(db, "case.escalated")] == [[case.id]]


def test_a_medium_complaint_is_acknowledged_and_its_acknowledgement_scheduled(client, db, customer):
    sign_in_as(client, customer)

    file(client, description="The coupon code from the newsletter is refused.", category="coupon",
         desired_outcome="explanation")

    case = db.session.scalar(select(Case))
    assert (case.status, case.urgency, case.escalated) == ("acknowledged", "medium", False)
    assert len(outbox(db, "case.notify")) == 1


def test_an_angry_complaint_is_escalated_with_its_reasons(client, db, customer):
    sign_in_as(client, customer)

    file(client, description="This is UNACCEPTABLE!!! The THIRD TIME your coupon fails.", category="coupon")

    case = db.session.scalar(select(Case))
    assert case.angry and case.status == "escalated"
    assert {"angry_words", "capitals", "punctuation"} <= {r["code"] for r in case.triage_reasons}
    page = client.get(f"/cases/{case.reference}").text
    assert "With a person" in page


@pytest.mark.parametrize("field, value, message", [
    ("description", "", "Please tell us what happened."),
    ("description", "short", "Please write between 10 and 5000 characters."),
    ("description", "x" * 100_000, "Please write between 10 and 5000 characters."),
    ("category", "", "Please choose what it is about."),
    ("category", "<script>alert(1)</script>", "Please choose what it is about from the list."),
    ("desired_outcome", "free money", "Please choose what would put it right from the list."),
    ("order", "NOT-MINE", "We could not find that order among yours."),
])
def test_hostile_input_gets_a_message_next_to_the_field_and_stores_nothing(client, db, customer, field, value,
                                                                          message):
    sign_in_as(client, customer)

    response = file(client, **{field: value})

    assert response.status_code == 400
    assert message in response.text
    assert case_count(db) == 0
    assert outbox(db) == []


def test_a_refused_complaint_opens_on_a_summary_whose_messages_link_to_their_fields(client, customer):
    sign_in_as(client, customer)

    page = file(client, description="", category="", desired_outcome="").text

    summary = re.search(r'<div class="form-errors" role="alert" tabindex="-1" autofocus>(.*?)</div>', page, re.S)
    assert summary is not None, "the refused form opens on its error summary"
    targets = re.findall(r'<li><a href="#([\w-]+)">', summary.group(1))
    assert targets == ["description", "category", "desired_outcome"]
    assert all(f'id="{target}"' in page for target in targets)


def test_another_customers_order_cannot_be_attached(client, db, make_order, make_customer, customer):
    other = make_order(customer=make_customer())
    sign_in_as(client, customer)

    response = file(client, order=other.number)

    assert response.status_code == 400
    assert "We could not find that order among yours." in response.text
    assert case_count(db) == 0


def test_what_was_typed_is_kept_when_the_form_is_refused(client, customer):
    sign_in_as(client, customer)

    response = file(client, category="", description="My <b>kettle</b> leaks")

    assert "My &lt;b&gt;kettle&lt;/b&gt; leaks" in response.text


def test_script_tags_are_stored_as_written_and_shown_escaped(client, db, customer):
    sign_in_as(client, customer)
    file(client, description="<script>alert('x')</script> the lid is cracked")

    case = db.session.scalar(select(Case))
    page = client.get(f"/cases/{case.reference}").text

    assert case.description.startswith("<script>alert('x')</script>")
    assert "<script>alert(" not in page
    assert "&lt;script&gt;alert(" in page


def test_the_agent_view_shows_script_tags_escaped(client, db, customer, agent):
    from tests.agent.helpers import sign_in_staff

    sign_in_as(client, customer)
    file(client, description="<script>alert('x')</script> the lid is cracked")
    case = db.session.scalar(select(Case))
    sign_in_staff(client, agent)

    page = client.get(f"/agent/cases/{case.reference}")

    assert page.status_code == 200
    assert "<script>alert(" not in page.text
    assert "&lt;script&gt;alert(" in page.text


def test_the_case_and_its_acknowledgement_are_stored_while_redis_is_down(app, client, db, customer, tmp_path):
    server = EmbeddedRedis(tmp_path / "down.sock").start()
    app.config["REDIS_URL"] = server.url
    app.extensions.pop("portal_redis", None)
    server.stop()
    sign_in_as(client, customer)

    response = file(client)

    assert response.status_code == 303
    case = db.session.scalar(select(Case))
    assert case is not None and case.status == "escalated"
    assert {row.job_name for row in outbox(db)} == {"case.notify", "case.escalated"}
    assert all(row.status == "pending" for row in outbox(db))


def test_suggestions_come_as_a_fragment_for_htmx_and_as_the_page_without(client, db, customer, faq):  # noqa: F811
    sign_in_as(client, customer)

    fragment = client.get("/complaints/suggestions?description=refund+taking+too+long",
                          headers={"HX-Request": "true"})
    page = client.get("/complaints/suggestions?description=refund+taking+too+long")

    assert fragment.status_code == page.status_code == 200
    assert fragment.text.startswith('<section id="suggestions"')
    assert fragment.text.count("This solved it") == 3
    assert "<html" in page.text and page.text.count("This solved it") == 3
    assert "HX-Request" in fragment.headers["Vary"]
    assert db.session.scalar(select(func.count(SearchLog.id))) >= 1


def test_this_solved_it_is_logged_as_a_deflection_and_files_nothing(client, db, customer, faq):  # noqa: F811
    sign_in_as(client, customer)
    fragment = client.get("/complaints/suggestions?description=refund+taking+too+long",
                          headers={"HX-Request": "true"}).text
    log = db.session.scalar(select(SearchLog))
    slug = re.search(r'name="slug" value="([^"]+)"', fragment).group(1)

    response = client.post("/complaints/solved", data={"slug": slug}, headers={"HX-Request": "true"})

    assert response.status_code == 200
    assert "Glad that helped" in response.text
    db.session.refresh(log)
    assert log.deflected
    assert case_count(db) == 0


def test_an_unknown_article_in_this_solved_it_logs_nothing(client, db, customer):
    sign_in_as(client, customer)

    response = client.post("/complaints/solved", data={"slug": "../../etc/passwd"})

    assert response.status_code == 200
    assert db.session.scalar(select(func.count(SearchLog.id))) == 0


def test_intent_cards_offer_self_service_while_typing_but_never_the_form_itself(client, db, customer,
                                                                                  faq):  # noqa: F811
    sign_in_as(client, customer)

    tracking = client.get("/complaints/suggestions?description=the+tracking+has+not+moved+for+a+week",
                          headers={"HX-Request": "true"}).text
    allergy = client.get("/complaints/suggestions?description=I+am+allergic+to+the+face+cream",
                         headers={"HX-Request": "true"}).text
    chinese = client.get("/complaints/suggestions?description=物流一直不动", headers={"HX-Request": "true"}).text

    assert 'aria-live="polite"' in tracking and "Track your order" in tracking
    assert 'href="/orders' in tracking
    assert "File a complaint" not in allergy and "This solved it" in allergy
    assert "Track your order" in chinese or "跟踪订单" in chinese


@pytest.mark.parametrize("typed", ["", "x" * 10_000, "😡🔥📦", "\x07\x1b[31m tracking", "退款 refund возврат"])
def test_hostile_typing_gets_suggestions_or_nothing_never_an_error(client, customer, faq, typed):  # noqa: F811
    sign_in_as(client, customer)
    response = client.get("/complaints/suggestions", query_string={"description": typed},
                          headers={"HX-Request": "true"})
    assert response.status_code == 200 and response.text.startswith('<section id="suggestions"')
