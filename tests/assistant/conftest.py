"""Assistant fixtures: the help corpus indexed (from the help tests) and sign-in for a customer."""

import pytest

from tests.help.conftest import faq  # noqa: F401 - shared fixture
from tests.orders.helpers import sign_in_as


@pytest.fixture
def sign_in(client):
    def sign(customer):
        sign_in_as(client, customer)
        return customer

    return sign
