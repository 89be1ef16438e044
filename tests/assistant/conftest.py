"""Assistant fixtures: the help corpus indexed (from the help tests) and sign-in for a customer."""

import pytest

from tests.help.conftest import faq  # noqa: F401 - shared fixture


@pytest.fixture
def sign_in(client):
    def sign(customer):
        with client.session_transaction() as session:
            session["customer_id"] = customer.id
        return customer

    return sign
