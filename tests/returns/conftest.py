"""Return-wizard fixtures: a customer's order delivered two days ago, and that customer signed in."""

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
