"""Guest lookup: POST only, one identical answer for every mismatch, rate-limited per IP and per order."""

import re

import pytest
from sqlalchemy import select

from portal.models import Order
from tests.orders.helpers import limited_app


@pytest.fixture
def order(make_customer, make_order):
    return make_order(customer=make_customer(email="alice@example.com", name="Alice Martin"))


def lookup(client, number, email, **kwargs):
    return client.post("/orders/track", data={"number": number, "email": email}, **kwargs)


def test_the_lookup_page_has_a_labelled_form_that_posts(client):
    page = client.get("/orders/track")

    assert page.status_code == 200
    assert 'method="post"' in page.text
    assert '<label for="track-number">' in page.text
    assert '<label for="track-email">' in page.text


def test_a_matching_number_and_email_opens_the_order(client, order):
    response = lookup(client, order.number, "Alice@Example.com ")

    assert response.status_code == 303
    assert response.headers["Location"] == f"/orders/{order.number}"
    page = client.get(response.headers["Location"])
    assert page.status_code == 200
    assert f"Order {order.number}" in page.text


def test_the_number_and_email_in_the_url_do_nothing(client, order):
    response = client.get(f"/orders/track?number={order.number}&email=alice@example.com")

    assert response.status_code == 200
    assert client.get(f"/orders/{order.number}").status_code == 404


def test_a_wrong_number_and_a_wrong_email_get_byte_identical_answers(app, order, make_order, make_customer):
    other = make_order(customer=make_customer(email="other@example.com"))
    answers = [
        lookup(app.test_client(), "T424242", "alice@example.com"),          # no such order
        lookup(app.test_client(), order.number, "someone@example.com"),     # order exists, wrong e-mail
        lookup(app.test_client(), order.number, "other@example.com"),       # another customer's e-mail
        lookup(app.test_client(), other.number, "alice@example.com"),       # right e-mail, wrong order
    ]

    assert {a.status_code for a in answers} == {404}
    # Each answer differs only by what its visitor typed (and the session's CSRF token).
    typed = [("T424242", "alice@example.com"), (order.number, "someone@example.com"),
             (order.number, "other@example.com"), (other.number, "alice@example.com")]
    assert len({_without(answer.text, *values) for answer, values in zip(answers, typed, strict=True)}) == 1


def _without(page, number, email):
    page = re.sub(r'"X-CSRFToken": "[^"]+"|name="csrf_token" value="[^"]+"', "csrf", page)
    return page.replace(f'value="{number}"', 'value="number"').replace(f'value="{email}"', 'value="email"')


def test_a_failed_lookup_says_so_plainly_and_grants_nothing(client, order):
    response = lookup(client, order.number, "wrong@example.com")

    assert "We could not find that order" in response.text
    assert client.get(f"/orders/{order.number}").status_code == 404


def test_a_failed_lookup_keeps_what_was_typed_so_a_typo_can_be_corrected(client, order):
    response = lookup(client, "100102", " Alice@Example.org ")

    assert response.status_code == 404 and "We could not find that order" in response.text
    assert 'id="track-number"' in response.text and 'value="100102"' in response.text
    assert 'value="Alice@Example.org"' in response.text
    assert response.headers["Cache-Control"] == "private, no-store"
    corrected = lookup(client, order.number, "alice@example.com")
    assert corrected.headers["Location"] == f"/orders/{order.number}"


def test_a_failed_lookup_keeps_what_was_typed_in_chinese_too(client, order):
    response = lookup(client, "100102", "alice@example.com", headers={"Accept-Language": "zh"})

    assert 'value="100102"' in response.text and 'value="alice@example.com"' in response.text
    assert "We could not find that order" not in response.text and 'class="flash flash-warning"' in response.text


@pytest.mark.parametrize("number,email", [
    ("", ""), ("   ", "alice@example.com"), ("x" * 41, "alice@example.com"),
    ("<script>alert(1)</script>", ""), ("T1", "a" * 300),
])
def test_empty_or_oversized_input_is_refused_with_messages(client, order, number, email):
    response = lookup(client, number, email)

    assert response.status_code == 400
    assert 'class="field-error"' in response.text
    assert "<script>alert(1)</script>" not in response.text


def test_a_deleted_customers_order_cannot_be_looked_up_by_the_old_address(client, db, order):
    from portal.account.service import anonymise
    from portal.models import utcnow

    anonymise(order.customer, utcnow())
    db.session.commit()

    answer = lookup(client, order.number, "alice@example.com")
    assert answer.status_code == 404 and "We could not find that order" in answer.text


def test_the_eleventh_failed_lookup_in_a_minute_from_one_ip_is_refused(test_environ, redis, order):
    client = limited_app(test_environ).test_client()

    statuses = [lookup(client, f"T9{n:05d}", "alice@example.com").status_code for n in range(11)]

    assert statuses == [404] * 10 + [429]
    assert "Too many attempts" in lookup(client, order.number, "alice@example.com").text


def test_failed_lookups_of_one_order_from_many_ips_are_limited_too(test_environ, redis, order):
    client = limited_app(test_environ).test_client()

    statuses = [lookup(client, order.number, f"guess{n}@example.com",
                       environ_base={"REMOTE_ADDR": f"10.1.0.{n}"}).status_code for n in range(11)]

    assert statuses == [404] * 10 + [429]


def test_successful_lookups_do_not_count_towards_the_limit(test_environ, redis, order):
    client = limited_app(test_environ).test_client()

    statuses = {lookup(client, order.number, "alice@example.com").status_code for _ in range(15)}

    assert statuses == {303}


def test_lookup_reads_no_other_order(db, order):
    from portal.orders.service import find_for_guest

    assert find_for_guest(order.number, "alice@example.com").id == order.id
    assert find_for_guest(order.number, "") is None
    assert find_for_guest("", "") is None
    assert db.session.scalar(select(Order.status).where(Order.id == order.id)) == "paid"
