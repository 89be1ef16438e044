"""Amounts reach the reader in their language with each currency's own digits: euros with cents, yen without,
on the order page and in the case e-mail."""

import pytest

from portal.jobs import schedule
from tests.orders.helpers import sign_in_as
from tests.worker.cases import make_case, status_event
from worker import runtime

# (language, currency, price in minor units, what the reader sees for one item and for a total of two)
SHOWN = [
    ("en", "EUR", 1250, "€12.50", "€25.00"),
    ("zh", "EUR", 1250, "€12.50", "€25.00"),
    ("en", "JPY", 1200, "¥1,200", "¥2,400"),
    ("zh", "JPY", 1200, "JP¥1,200", "JP¥2,400"),
]


@pytest.mark.parametrize(("locale", "currency", "price", "each", "total"), SHOWN)
def test_the_order_page_shows_prices_in_the_readers_language_and_the_currencys_digits(
        client, make_customer, make_order, locale, currency, price, each, total):
    customer = make_customer(locale=locale)
    order = make_order(customer=customer, currency=currency,
                       items=[{"sku": "MUG-1", "name": "Mug", "category": "home", "price_cents": price, "qty": 2}])
    sign_in_as(client, customer)
    with client.session_transaction() as session:
        session["locale"] = locale

    page = client.get(f"/orders/{order.number}").text

    assert each in page
    assert total in page


@pytest.mark.parametrize(("locale", "currency", "cents", "shown"), [
    ("en", "EUR", 2450, "€24.50"), ("zh", "EUR", 2450, "€24.50"),
    ("en", "JPY", 3000, "¥3,000"), ("zh", "JPY", 3000, "JP¥3,000"),
])
def test_the_resolution_e_mail_shows_the_amount_in_the_customers_language(
        app, db, redis, make_customer, mail_sink, locale, currency, cents, shown):
    customer = make_customer(locale=locale, email=f"money-{locale}@example.com")
    case = make_case(customer, resolution_type="refund", resolution_amount_cents=cents, currency=currency)
    event = status_event(case, "escalated", "resolved")
    schedule("case.notify", case.id, event.id, key=f"case:{case.id}:event:{event.id}")
    db.session.commit()

    runtime.run(app, burst=True)

    [message] = mail_sink.to(customer.email)
    assert shown in message.get_body(("plain",)).get_content()
    assert shown in message.get_body(("html",)).get_content()
