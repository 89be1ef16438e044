"""Numbers and text that once gave a 500: each is now a clear 4xx or a harmless value, and nothing half-written."""

import pytest
from sqlalchemy import func, select

from portal.agent.forms import parse_amount
from portal.models import Case, CaseMessage, Customer, Order, ShopEvent, SurveyAnswer
from portal.numbers import parse_int
from portal.surveys import service as surveys
from tests.orders.helpers import order_created, post_event, sign_in_as
from tests.worker.cases import make_case

# `isdigit()` is true for these, `int()` refuses the first three and reads the rest as numbers no one typed.
NOT_ASCII_DIGITS = ["²", "³", "①", "١٢", "٣", "１", "𝟙", "1_0", " 1e3", "0x1", "+1", "-1", "३"]


@pytest.mark.parametrize("raw", NOT_ASCII_DIGITS + ["", None, "9" * 19, "99999999999999999999"])
def test_only_ascii_digits_in_range_are_numbers(raw):
    assert parse_int(raw) is None


def test_ascii_digits_within_range_are_read():
    assert parse_int(" 42 ") == 42
    assert parse_int("007") == 7
    assert parse_int("6", 1, 5) is None
    assert parse_int(str(2**63 - 1)[:18]) == int(str(2**63 - 1)[:18])


@pytest.mark.parametrize("raw", ["١٢", "1e3", "12.", "12.345", "0", "-5", "²"])
def test_amounts_are_ascii_with_at_most_two_decimals(raw):
    assert parse_amount(raw) is None


def test_amounts_read_units_and_cents():
    assert (parse_amount("12"), parse_amount("12,5"), parse_amount("0.05")) == (1200, 1250, 5)


def test_older_orders_open_in_a_new_tab_for_a_customer_with_cases(client, db, make_order, make_customer):
    alice = make_customer()
    for index in range(12):
        make_order(customer=alice, number=f"A{index:03d}")
    db.session.add(Case(reference="C-ALICE1", kind="complaint", customer_id=alice.id))
    db.session.commit()
    sign_in_as(client, alice)

    page = client.get("/account/orders?page=2")

    assert page.status_code == 200
    assert "C-ALICE1" in page.text and 'href="/account/orders?page=1"' in page.text


@pytest.mark.parametrize("score", ["²", "³", "①", "١"])
def test_survey_scores_in_other_digits_are_refused_without_recording(client, db, customer, score):
    case = make_case(customer)
    token = surveys.token_for(case, surveys.survey_for(case))

    shown = client.get(f"/survey/{token}", query_string={"score": score})
    posted = client.post(f"/survey/{token}", data={"score": score})
    client.post(f"/survey/{token}", data={"score": "4"})
    details = client.post(f"/survey/{token}/details", data={"ces": score, "speed": score, "nps": score})

    assert shown.status_code == 200
    assert posted.status_code == 400
    assert details.status_code == 400
    [answer] = db.session.scalars(select(SurveyAnswer)).all()
    assert (answer.score, answer.ces, answer.speed, answer.nps) == (4, None, None, None)


@pytest.mark.parametrize("timestamp", ["²", "١٧٠٠٠٠٠٠٠٠", "9" * 40])
def test_a_webhook_timestamp_in_other_digits_is_refused(client, db, timestamp):
    answer = post_event(client, order_created(), **{"X-Timestamp": timestamp})

    assert answer.status_code == 401
    assert db.session.scalar(select(func.count()).select_from(Order)) == 0


def test_a_lone_surrogate_in_a_webhook_name_is_stored_as_a_replacement_character(client, db):
    event = order_created(customer={"email": "sam@example.com", "name": "Sam \ud800 Shopper"})

    answer = post_event(client, event)  # json.dumps escapes it as \ud800, as a shop's encoder may

    assert answer.status_code == 200, answer.json
    assert db.session.scalar(select(Customer.name)) == "Sam \ufffd Shopper"


def test_a_nul_in_webhook_text_is_dropped(client, db):
    answer = post_event(client, order_created(carrier="DH\x00L"))

    assert answer.status_code == 200, answer.json
    assert db.session.scalar(select(Order.carrier)) == "DHL"


@pytest.mark.parametrize("field, value", [("price_cents", 2**53), ("qty", 2**53), ("price_cents", 2**31),
                                          ("qty", 2**64), ("price_cents", -1), ("qty", 0)])
def test_webhook_numbers_past_the_column_range_are_refused_and_nothing_is_stored(client, db, field, value):
    item = {"sku": "TSH-001", "name": "T-shirt", "price_cents": 100, "qty": 1, field: value}

    answer = post_event(client, order_created(items=[item]))

    assert answer.status_code == 400
    assert answer.json["field"] == f"data.items[0].{field}"
    assert db.session.scalar(select(func.count()).select_from(Order)) == 0
    assert db.session.scalar(select(func.count()).select_from(ShopEvent)) == 0


def test_items_that_add_up_past_the_column_range_are_refused(client, db):
    item = {"sku": "TSH-001", "name": "T-shirt", "price_cents": 2**31 - 1, "qty": 2}

    answer = post_event(client, order_created(items=[item]))

    assert answer.status_code == 400
    assert answer.json["field"] == "data.items"
    assert db.session.scalar(select(func.count()).select_from(Order)) == 0


@pytest.mark.parametrize("path", ["/agent/callbacks/99999999999999999999", "/lead/articles/١٢",
                                  "/lead/canned/9223372036854775808"])
def test_ids_in_urls_past_a_64_bit_column_are_not_found(client, path):
    assert client.get(path).status_code == 404


@pytest.mark.parametrize("category", [{}, {"category": None}])
def test_an_item_without_a_category_is_stored_with_none(client, db, category):
    item = {"sku": "TSH-001", "name": "T-shirt", "price_cents": 100, **category}

    answer = post_event(client, order_created(items=[item]))

    assert answer.status_code == 200, answer.json
    assert db.session.scalar(select(Order.total_cents)) == 100


def test_a_nul_typed_into_a_case_reply_is_dropped_and_the_reply_kept(client, db, make_customer):
    customer = make_customer()
    case = make_case(customer, status="answered", kind="complaint", reference="C-NULREPLY")
    sign_in_as(client, customer)

    answer = client.post(f"/cases/{case.reference}/messages", data={"body": "the photo\x00 is attached\x00"})

    assert answer.status_code in (200, 302, 303)
    bodies = db.session.scalars(select(CaseMessage.body).where(CaseMessage.case_id == case.id)).all()
    assert "the photo is attached" in bodies


def test_a_nul_in_a_query_argument_is_dropped(client):
    assert client.get("/help/search?q=refund%00").status_code == 200
