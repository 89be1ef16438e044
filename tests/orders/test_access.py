"""Nobody sees an order that is not theirs, by any route: the answer is always the same 404."""

import pytest

from portal.models import utcnow
from tests.conftest import without_form_token
from tests.orders.helpers import sign_in_as

ORDER_ROUTES = ["/orders/{number}", "/orders/{number}/timeline"]


@pytest.fixture
def alice_order(make_customer, make_order):
    alice = make_customer(name="Alice Martin", email="alice@example.com")
    return make_order(customer=alice, shipping_address="1200 Market Street, Apt 5B, San Francisco, CA 94102",
                      shipping_phone="+1 415 555 0134", shipping_name="Alice Martin")


@pytest.fixture
def bob(make_customer):
    return make_customer(name="Bob Other", email="bob@example.com")


@pytest.mark.parametrize("route", ORDER_ROUTES)
@pytest.mark.parametrize("hx", [False, True])
def test_another_customers_order_is_not_found_by_any_route(client, alice_order, bob, route, hx):
    sign_in_as(client, bob)
    headers = {"HX-Request": "true"} if hx else {}

    response = client.get(route.format(number=alice_order.number), headers=headers)

    assert response.status_code == 404
    assert alice_order.shipping_address not in response.text
    assert "We could not show this order" in response.text


@pytest.mark.parametrize("route", ORDER_ROUTES)
def test_an_anonymous_visitor_sees_no_order_without_looking_it_up(client, alice_order, route):
    response = client.get(route.format(number=alice_order.number))

    assert response.status_code == 404
    assert "Alice" not in response.text


def test_someone_elses_order_and_a_made_up_number_look_the_same(client, alice_order, bob):
    sign_in_as(client, bob)

    existing = client.get(f"/orders/{alice_order.number}")
    guessed = client.get("/orders/T999999")

    assert existing.status_code == guessed.status_code == 404
    # The only difference is the page's own path (echoed by the language switch).
    assert without_form_token(existing.text).replace(alice_order.number, "N") == \
        without_form_token(guessed.text).replace("T999999", "N")


@pytest.mark.parametrize("number", ["T000001", "1 OR 1=1", "<script>alert(1)</script>", "../../etc/passwd",
                                    "x" * 500])
def test_guessed_and_hostile_numbers_are_not_found(client, alice_order, bob, number):
    sign_in_as(client, bob)

    response = client.get(f"/orders/{number}")

    assert response.status_code == 404
    assert "<script>alert(1)</script>" not in response.text


def test_another_customer_cannot_cancel_an_order(client, db, alice_order, bob):
    sign_in_as(client, bob)

    response = client.post(f"/orders/{alice_order.number}/cancel")

    assert response.status_code == 404
    db.session.refresh(alice_order)
    assert alice_order.status == "paid"


def test_a_guest_cannot_cancel_even_an_order_they_looked_up(client, db, alice_order):
    client.post("/orders/track", data={"number": alice_order.number, "email": "alice@example.com"})

    response = client.post(f"/orders/{alice_order.number}/cancel")

    assert response.status_code == 404
    db.session.refresh(alice_order)
    assert alice_order.status == "paid"


def test_a_guest_lookup_opens_only_that_one_order(client, make_order, alice_order):
    second = make_order(customer=alice_order.customer)
    client.post("/orders/track", data={"number": alice_order.number, "email": "alice@example.com"})

    assert client.get(f"/orders/{alice_order.number}").status_code == 200
    assert client.get(f"/orders/{second.number}").status_code == 404


def test_a_guest_grant_in_a_forged_session_value_grants_nothing(client, alice_order):
    with client.session_transaction() as session:
        session["guest_orders"] = [str(alice_order.id), None, {"id": alice_order.id}]

    assert client.get(f"/orders/{alice_order.number}").status_code == 404


def test_the_owner_sees_the_address_and_phone_whole(client, alice_order):
    sign_in_as(client, alice_order.customer)

    page = client.get(f"/orders/{alice_order.number}")

    assert page.status_code == 200
    assert "1200 Market Street, Apt 5B, San Francisco, CA 94102" in page.text
    assert "+1 415 555 0134" in page.text
    assert page.headers["Cache-Control"] == "private, no-store"


def test_a_guest_sees_the_address_and_phone_partly_masked(client, alice_order):
    client.post("/orders/track", data={"number": alice_order.number, "email": "alice@example.com"})

    page = client.get(f"/orders/{alice_order.number}").text

    assert "1200 Market Street" not in page
    assert "•••, CA 94102" in page
    assert "+1 415 555 0134" not in page
    assert "••• ••• 34" in page
    assert "Alice M." in page
    assert "Alice Martin" not in page


def test_a_signed_in_customer_who_looked_up_someone_elses_order_sees_it_masked(client, alice_order, bob):
    sign_in_as(client, bob)
    client.post("/orders/track", data={"number": alice_order.number, "email": "alice@example.com"})

    page = client.get(f"/orders/{alice_order.number}")

    assert page.status_code == 200
    assert "1200 Market Street" not in page.text
    assert "•••, CA 94102" in page.text
    assert "Cancel this order" not in page.text
    assert "Sign in to cancel" not in page.text


def test_an_order_of_a_deleted_account_is_not_shown_even_to_an_earlier_lookup(client, db, alice_order):
    client.post("/orders/track", data={"number": alice_order.number, "email": "alice@example.com"})
    alice_order.customer.anonymised_at = utcnow()
    db.session.commit()

    assert client.get(f"/orders/{alice_order.number}").status_code == 404


def test_a_guest_is_offered_to_sign_in_to_cancel_an_order_not_yet_shipped(client, alice_order):
    client.post("/orders/track", data={"number": alice_order.number, "email": "alice@example.com"})

    page = client.get(f"/orders/{alice_order.number}").text

    assert "Sign in to cancel this order" in page
    assert "Cancel this order" not in page
