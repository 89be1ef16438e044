"""The assistant's conversation page: articles, orders, returns, hand-over, access and hostile input."""

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from portal.models import Case, Conversation, Turn, utcnow
from tests.orders.helpers import sign_in_as

HX = {"HX-Request": "true"}


def say(client, text, htmx=True):
    return client.post("/assistant/", data={"message": text}, headers=HX if htmx else {})


def choose(client, choice, htmx=True):
    return client.post("/assistant/choose", data={"choice": choice}, headers=HX if htmx else {})


def in_transit(make_order, customer, **overrides):
    now = utcnow()
    values = {"status": "in_transit", "shipped_at": now - timedelta(days=1), "carrier": "DHL",
              "events": [{"status": "shipped", "location": "Leipzig", "occurred_at": now - timedelta(days=1)},
                         {"status": "in_transit", "location": "Berlin hub", "occurred_at": now - timedelta(hours=5)}]}
    values.update(overrides)
    return make_order(customer=customer, **values)


def test_the_page_greets_and_offers_a_message_box(client):
    page = client.get("/assistant/")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'role="log"' in html and 'aria-live="polite"' in html
    assert '<label for="assistant-message">' in html


def test_a_question_gets_the_articles_passage_and_a_link(client, faq):
    response = say(client, "how long until my refund shows on my card")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "turn-passage" in html and "/help/a/" in html
    assert "Did that answer it?" in html
    assert 'hx-swap-oob="true"' in html


def test_without_javascript_a_message_redirects_back_to_the_conversation(client, faq):
    response = say(client, "how long until my refund shows on my card", htmx=False)
    assert response.status_code == 303
    page = client.get("/assistant/").get_data(as_text=True)
    assert "how long until my refund shows on my card" in page
    assert "turn-passage" in page


def test_signed_in_customer_sees_the_latest_orders_timeline(client, sign_in, customer, make_order):
    order = in_transit(make_order, customer)
    sign_in(customer)
    html = say(client, "where is my parcel?").get_data(as_text=True)
    assert order.number in html
    assert "Berlin hub" in html


def test_a_customer_without_orders_asking_about_shipping_gets_the_article_and_the_note(client, sign_in, customer,
                                                                                       faq, db):
    sign_in(customer)
    html = say(client, "I paid a few hours ago, how soon do orders usually go out?").get_data(as_text=True)
    assert "turn-passage" in html and "/help/a/" in html
    assert "cannot find any orders" in html
    assert db.session.scalar(select(Case)) is None


def test_a_benign_question_is_answered_not_handed_over(client, sign_in, customer, faq, db):
    sign_in(customer)
    html = say(client, "The bluetooth earphones keep dropping the connection to my phone, could you help?"
               ).get_data(as_text=True)
    assert db.session.scalar(select(Case)) is None
    assert "Did that answer it?" in html


def test_several_orders_on_the_way_ask_which_one(client, sign_in, customer, make_order):
    first, second = in_transit(make_order, customer), in_transit(make_order, customer)
    sign_in(customer)
    html = say(client, "where is my order").get_data(as_text=True)
    assert "Which one do you mean?" in html
    assert f'value="order:{first.number}"' in html and f'value="order:{second.number}"' in html
    html = choose(client, f"order:{first.number}").get_data(as_text=True)
    assert "Berlin hub" in html


def test_another_customers_order_number_reveals_nothing(client, sign_in, customer, make_customer, make_order):
    theirs = in_transit(make_order, make_customer())
    sign_in(customer)
    html = say(client, f"where is order {theirs.number}").get_data(as_text=True)
    assert "could not find order" in html
    assert "Berlin hub" not in html
    missing = say(client, "where is order T999999").get_data(as_text=True)
    assert "could not find order" in missing


def test_a_choice_not_on_offer_does_nothing(client, sign_in, customer, make_customer, make_order):
    theirs = in_transit(make_order, make_customer())
    sign_in(customer)
    say(client, "hello")
    response = choose(client, f"order:{theirs.number}")
    assert response.status_code == 409
    assert "Berlin hub" not in response.get_data(as_text=True)


def test_a_guest_gives_number_and_email(client, customer, make_order):
    order = in_transit(make_order, customer)
    html = say(client, "where's my package").get_data(as_text=True)
    assert 'name="email"' in html
    wrong = client.post("/assistant/lookup", data={"number": order.number, "email": "someone@example.com"},
                        headers=HX).get_data(as_text=True)
    assert "could not find that order" in wrong and "Berlin hub" not in wrong
    right = client.post("/assistant/lookup", data={"number": order.number, "email": customer.email},
                        headers=HX).get_data(as_text=True)
    assert "Berlin hub" in right
    # The order page opens for this browser, as after guest tracking, with the address masked there.
    assert client.get(f"/orders/{order.number}").status_code == 200


def test_asking_for_a_person_opens_an_escalated_case_with_the_transcript(client, sign_in, customer, db):
    sign_in(customer)
    say(client, "my coupon code did not work at checkout")
    html = say(client, "I want to talk to a person").get_data(as_text=True)
    case = db.session.scalar(select(Case))
    assert case is not None and case.status == "escalated"
    assert case.reference in html
    assert "coupon code did not work" in case.description
    conversation = db.session.scalar(select(Conversation))
    assert conversation.case_id == case.id and conversation.status == "handed_over"


def test_an_urgent_first_message_hands_over_at_once(client, sign_in, customer, db):
    sign_in(customer)
    html = say(client, "I was charged twice for the same order!!").get_data(as_text=True)
    case = db.session.scalar(select(Case))
    assert case is not None and case.urgency == "high"
    assert "10 minutes" in html


def test_the_hand_over_promise_reads_as_one_phrase_in_chinese(client, sign_in, customer, db):
    sign_in(customer)
    html = client.post("/assistant/", data={"message": "我要人工客服"},
                       headers={**HX, "Accept-Language": "zh-CN"}).get_data(as_text=True)
    case = db.session.scalar(select(Case))
    assert case is not None and f'工单 <span class="ref">{case.reference}</span>' in html
    # "10 分钟内", not "10 分钟 内": the duration and 内 are one phrase.
    assert re.search(r"我们会在 \d+ (分钟|小时|天)内回复", html), html
    assert not re.search(r"(分钟|小时|天) 内", html)


def test_a_guest_asking_for_a_person_is_asked_to_sign_in_and_continues_after(client, customer, db):
    say(client, "I want to talk to a person")
    token = db.session.scalar(select(Conversation.token))
    page = client.get("/assistant/").get_data(as_text=True)
    assert f"c%3D{token}" in page or f"c={token}" in page
    with client.session_transaction() as session:
        session.clear()
    sign_in_as(client, customer)
    resumed = client.get(f"/assistant/?c={token}").get_data(as_text=True)
    assert "I want to talk to a person" in resumed
    choose(client, "person")
    assert db.session.scalar(select(Case.customer_id)) == customer.id


def test_two_unhelpful_answers_hand_over(client, sign_in, customer, faq, db):
    sign_in(customer)
    say(client, "how long until my refund shows on my card")
    choose(client, "no")
    assert db.session.scalar(select(Case)) is None
    choose(client, "no")
    assert db.session.scalar(select(Case)) is not None


def test_hostile_input_gets_a_clear_answer(client):
    empty = say(client, "   ")
    assert empty.status_code == 400 and "Please type your question" in empty.get_data(as_text=True)
    long = say(client, "x" * 10_000, htmx=False)
    assert long.status_code == 400 and "under 1000 characters" in long.get_data(as_text=True)
    markup = say(client, "<script>alert(1)</script> where is my order").get_data(as_text=True)
    assert "<script>alert(1)" not in markup and "&lt;script&gt;" in markup


def test_another_browser_cannot_read_a_customers_conversation(client, app, sign_in, customer, db):
    sign_in(customer)
    say(client, "hello, my secret question")
    token = db.session.scalar(select(Conversation.token))
    stranger = app.test_client()
    page = stranger.get(f"/assistant/?c={token}").get_data(as_text=True)
    assert "my secret question" not in page


def test_every_turn_is_stored(client, faq, db):
    say(client, "how long until my refund shows on my card")
    authors = [t.author for t in db.session.scalars(select(Turn).order_by(Turn.id))]
    assert authors == ["customer", "assistant"]


def test_what_the_customer_adds_after_the_hand_over_goes_on_the_case(client, sign_in, customer, db):
    sign_in(customer)
    say(client, "I want to talk to a person")
    html = say(client, "it is about order T123456, the blue one").get_data(as_text=True)
    case = db.session.scalar(select(Case))
    assert case.reference in html
    assert [m.body for m in case.messages] == ["it is about order T123456, the blue one"]


def test_a_lookup_the_assistant_did_not_ask_for_reveals_nothing(client, customer, make_order):
    order = in_transit(make_order, customer)
    cold = client.post("/assistant/lookup", data={"number": order.number, "email": customer.email}, headers=HX)
    assert cold.status_code == 409 and "Berlin hub" not in cold.get_data(as_text=True)
    say(client, "hello")  # a conversation exists, but it is not waiting for an order
    response = client.post("/assistant/lookup", data={"number": order.number, "email": customer.email}, headers=HX)
    assert "Berlin hub" not in response.get_data(as_text=True)


def test_the_panel_on_the_help_center_posts_to_the_assistant(client):
    html = client.get("/help/").get_data(as_text=True)
    assert 'hx-post="/assistant/"' in html and 'action="/assistant/"' in html


def test_a_message_is_read_by_the_model_once_for_its_intent_triage_and_search(app, client, faq, monkeypatch):
    from portal import semantics
    from portal.assistant import intents
    from portal.complaints import reading

    if not semantics.available():
        pytest.skip("the bundled embedding model is not installed")
    with app.app_context():  # the intent and triage banks are embedded once per process, before any message
        intents.bank()
        reading.current_reader()
    semantics._query_cache.clear()
    read = []
    real_embed = semantics._embed

    def counting(texts, as_query, **kw):
        texts = list(texts)
        read.extend(texts)
        return real_embed(texts, as_query, **kw)

    monkeypatch.setattr(semantics, "_embed", counting)
    assert say(client, "the box turned up all squashed, what now").status_code == 200
    assert read == ["the box turned up all squashed, what now"]


@pytest.mark.parametrize("locale, gibberish, ask_again", [
    ("en", "asdkj qwpoe zzxq blorf", "I could not read a question in that"),
    ("zh", "asdkj qwpoe zzxq blorf", "我没看懂您的问题"),
    ("zh", "啊啊啊 哦哦 嗯嗯嗯", "我没看懂您的问题"),
])
def test_gibberish_is_asked_about_again_in_the_pages_language_not_handed_to_a_person(
        client, sign_in, customer, faq, db, locale, gibberish, ask_again):
    sign_in(customer)
    client.post("/locale", data={"locale": locale, "next": "/assistant/"})

    html = say(client, gibberish).get_data(as_text=True)

    assert ask_again in html
    assert db.session.scalar(select(Case)) is None
    assert db.session.scalar(select(Conversation.locale)) == locale


def test_a_short_angry_message_still_goes_to_a_person(client, sign_in, customer, faq, db):
    sign_in(customer)
    say(client, "你们这群骗子")
    assert db.session.scalar(select(Case)) is not None
