"""What the wizard's screens show a person: no Python internals, and only the fields their choice needs."""

import pytest

from tests.cases.helpers import delivered_order
from tests.orders.helpers import sign_in_as


@pytest.fixture
def order(make_order, customer):
    return delivered_order(make_order, customer, days_ago=2)


@pytest.fixture
def signed_in(client, customer):
    sign_in_as(client, customer)
    return client


def test_step_one_shows_no_python_object_when_nothing_is_wrong(signed_in, order):
    page = signed_in.get(f"/returns/{order.number}/step/1").text

    assert "built-in method" not in page
    assert "field-error" not in page


def test_step_one_with_nothing_chosen_says_so_in_words(signed_in, order):
    response = signed_in.post(f"/returns/{order.number}/step/1", data={}, headers={"HX-Request": "true"})

    assert response.status_code == 400
    assert 'id="items-error"' in response.text
    assert "built-in method" not in response.text
