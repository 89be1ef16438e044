"""Returns through the assistant, its other intents, what agents and leads see, the account's data, limits."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from portal.assistant import service
from portal.models import Case, Conversation, ReturnDraft, utcnow
from tests.agent.helpers import sign_in_staff
from tests.assistant.test_conversation import HX, choose, in_transit, say
from tests.orders.helpers import sign_in_as


def delivered(make_order, customer, days_ago=2, items=None, **overrides):
    now = utcnow()
    return make_order(customer=customer, status="delivered", shipped_at=now - timedelta(days=days_ago + 2),
                      delivered_at=now - timedelta(days=days_ago), items=items, **overrides)


def test_a_return_question_checks_the_policy_and_opens_the_wizard_at_step_two(client, sign_in, customer, make_order,
                                                                               db):
    order = delivered(make_order, customer, items=[
        {"sku": "SH-1", "name": "Running shoes", "category": "shoes", "price_cents": 8000},
        {"sku": "TS-1", "name": "Cotton T-shirt", "category": "apparel", "price_cents": 2000}])
    sign_in(customer)
    html = say(client, "can I return the running shoes?").get_data(as_text=True)
    assert "Yes, Running shoes can be returned." in html
    assert "A return for a change of mind costs" in html
    shoes = order.items[0]
    response = client.post("/assistant/return", data={"item": shoes.id})
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/returns/{order.number}/step/2")
    draft = db.session.scalar(select(ReturnDraft))
    assert draft.data["items"] == {str(shoes.id): 1}
    assert client.get(response.headers["Location"]).status_code == 200


def test_a_final_sale_item_is_returnable_only_when_faulty_and_says_so(client, sign_in, customer, make_order):
    delivered(make_order, customer, items=[{"sku": "U-1", "name": "Silk boxers", "category": "underwear",
                                            "price_cents": 1500}])
    sign_in(customer)
    html = say(client, "I want to return the boxers").get_data(as_text=True)
    assert "Returns for a change of mind are not possible for this item" in html
    assert "The return is free." in html


def test_an_item_past_its_window_gets_no_with_the_reason(client, sign_in, customer, make_order):
    delivered(make_order, customer, days_ago=90)
    sign_in(customer)
    html = say(client, "can I still return my T-shirt?").get_data(as_text=True)
    assert "No, T-shirt cannot be returned as a change of mind." in html
    assert "window for this reason ended" in html


def test_an_item_not_checked_cannot_be_sent_to_the_wizard(client, sign_in, customer, make_customer, make_order, db):
    theirs = delivered(make_order, make_customer())
    sign_in(customer)
    response = client.post("/assistant/return", data={"item": theirs.items[0].id}, headers=HX)
    assert response.status_code == 409
    assert db.session.scalar(select(ReturnDraft)) is None


def test_chinese_questions_get_chinese_answers(client, sign_in, customer, make_order):
    in_transit(make_order, customer)
    sign_in(customer)
    html = say(client, "我的快递到哪了").get_data(as_text=True)
    assert "Berlin hub" in html
    assert "订单" in html


def test_cancel_before_shipping_offers_the_cancel_action(client, sign_in, customer, make_order):
    order = make_order(customer=customer, status="paid")
    sign_in(customer)
    html = say(client, "please cancel my order").get_data(as_text=True)
    assert f'action="/orders/{order.number}/cancel"' in html


def test_refund_status_reads_the_customers_return(client, sign_in, customer, make_order, db):
    order = delivered(make_order, customer)
    case = Case(reference="C-REFUND22", kind="return", status="received", customer_id=customer.id, order_id=order.id,
                refund_method="original", refund_estimate_cents=2400, currency="USD")
    db.session.add(case)
    db.session.commit()
    sign_in(customer)
    html = say(client, "where is my refund?").get_data(as_text=True)
    assert "C-REFUND22" in html and "$24.00" in html


@pytest.mark.parametrize("method, status, words", [
    ("store_credit", "received", "Your refund of $24.00 is paid within 1 day."),
    ("original", "received", "Your refund of $24.00 is paid within 10 days."),
    ("store_credit", "awaiting_item", "your refund of $24.00 is paid within 1 day."),
])
def test_refund_status_counts_the_days_in_words_that_fit_the_number(client, sign_in, customer, make_order, db,
                                                                    method, status, words):
    order = delivered(make_order, customer)
    db.session.add(Case(reference="C-REFUND23", kind="return", status=status, customer_id=customer.id,
                        order_id=order.id, refund_method=method, refund_estimate_cents=2400, currency="USD"))
    db.session.commit()
    sign_in(customer)

    html = say(client, "where is my refund?").get_data(as_text=True)

    assert words in html
    assert "1 days" not in html


def test_the_agent_sees_the_transcript_in_the_workspace(client, app, sign_in, customer, agent, db):
    sign_in(customer)
    say(client, "my coupon code did not work at checkout")
    say(client, "I want to talk to a person")
    case = db.session.scalar(select(Case))
    staff_client = app.test_client()
    sign_in_staff(staff_client, agent)
    html = staff_client.get(f"/agent/cases/{case.reference}").get_data(as_text=True)
    assert "Conversation with the assistant before hand-over" in html
    assert "my coupon code did not work at checkout" in html
    assert "the customer asked for a person" in html


def test_the_lead_sees_resolution_and_hand_over_rates_and_the_weakest_messages(client, app, sign_in, customer, lead,
                                                                               faq, db):
    say(client, "how long until my refund shows on my card")
    choose(client, "yes")
    other = app.test_client()
    sign_in_as(other, customer)
    other.post("/assistant/", data={"message": "I want to talk to a person"})
    today = utcnow().date()
    figures = service.lead_figures(today, today)
    assert (figures.conversations, figures.resolved, figures.handed_over) == (2, 1, 1)
    assert figures.reasons == [("asked", 1)]
    staff_client = app.test_client()
    sign_in_staff(staff_client, lead)
    html = staff_client.get("/lead").get_data(as_text=True)
    assert "Help assistant" in html and "50 %" in html
    assert "Messages it understood least" in html


def test_conversations_are_in_the_export_and_go_with_the_account(client, sign_in, customer, db):
    from portal.account import service as account

    sign_in(customer)
    say(client, "hello there")
    exported = account.export_data(customer, utcnow())
    assert exported["assistant"][0]["turns"][0]["text"] == "hello there"
    account.anonymise(customer, utcnow())
    db.session.commit()
    assert db.session.scalar(select(Conversation)) is None


def _limits(app, **limits):
    from portal.extensions import limiter

    app.config.update(RATELIMIT_ENABLED=True, **limits)
    limiter.init_app(app)


def test_messages_are_limited_per_session(app, client):
    _limits(app, ASSISTANT_LIMIT_PER_SESSION="3 per minute")
    codes = [say(client, "hello").status_code for _ in range(4)]
    assert codes[:3] == [200, 200, 200] and codes[3] == 429


def test_messages_are_limited_per_address_across_sessions(app):
    _limits(app, ASSISTANT_LIMIT_PER_IP="3 per minute")
    codes = [app.test_client().post("/assistant/", data={"message": "hello"},
                                    environ_base={"REMOTE_ADDR": "203.0.113.9"}).status_code for _ in range(4)]
    assert codes == [303, 303, 303, 429]


def test_failed_guest_lookups_are_limited_like_guest_tracking(app, client, customer, make_order):
    order = in_transit(make_order, customer)
    _limits(app, ORDER_LOOKUP_LIMIT_PER_IP="2 per minute")
    say(client, "where is my parcel")
    codes = [client.post("/assistant/lookup", data={"number": order.number, "email": f"x{n}@example.com"},
                         headers=HX).status_code for n in range(3)]
    assert codes == [200, 200, 429]


def test_an_urgent_problem_the_bank_recognises_is_handed_over_as_high(client, sign_in, customer, db):
    sign_in(customer)
    say(client, "two payments came out of my account for one order")
    case = db.session.scalar(select(Case))
    assert case is not None and case.urgency == "high" and case.category == "double_charge"


def test_a_cancellation_already_asked_for_is_not_called_shipped(client, sign_in, customer, make_order, db):
    order = make_order(customer=customer, status="paid", cancel_requested_at=utcnow())
    sign_in(customer)

    html = say(client, "please cancel my order").get_data(as_text=True)

    assert "already asked to cancel" in html
    assert "left our warehouse" not in html
    assert f'action="/orders/{order.number}/cancel"' not in html
