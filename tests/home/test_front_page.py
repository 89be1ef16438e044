"""The front page: search, the self-service actions that exist, and the response-time promise from settings."""

import re
from datetime import timedelta

import pytest
from flask_babel import force_locale

from portal.formatting import duration
from portal.models import utcnow
from tests.conftest import make_app


def test_front_page_offers_each_self_service_journey_with_its_link(client):
    html = client.get("/").get_data(as_text=True)

    cards = re.findall(r'<li class="card card-link">.*?<a href="([^"]+)">([^<]+)</a>', html, re.S)
    assert cards == [
        ("/orders/track", "Track your order"),
        ("/assistant/", "Ask the assistant"),
        ("/returns/new", "Start a return"),
        ("/complaints/new", "File a complaint"),
        ("/cases", "Follow your cases"),
        ("/help/", "Browse help articles"),
    ]


def test_front_page_search_goes_to_the_help_search(client):
    html = client.get("/").get_data(as_text=True)

    assert 'id="hero-q" name="q" type="search"' in html
    assert 'action="/help/search"' in html
    assert 'href="/help/search?q=Where+is+my+order?"' in html


def test_front_page_promises_the_response_times_from_the_settings(app, test_environ):
    environ = dict(test_environ, SLA_HIGH_FIRST_RESPONSE_MINUTES="15", SLA_MEDIUM_FIRST_RESPONSE_MINUTES="120",
                   SLA_LOW_FIRST_RESPONSE_MINUTES="2880")
    html = make_app(environ).test_client().get("/").get_data(as_text=True)

    assert "15 minutes" in html
    assert "2 hours" in html
    assert "2 days" in html
    assert "The same promise for every customer" in html
    assert "we answer urgent problems within 15 minutes." in html


def test_front_page_promise_is_in_chinese_for_chinese_readers(client):
    html = client.get("/", headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)

    assert "10 分钟" in html
    assert "1 小时" in html
    assert "24 小时" in html
    assert "无论消费多少，每位顾客享有同样的服务承诺。" in html


@pytest.mark.parametrize(("span", "english", "chinese"), [
    (timedelta(minutes=1), "1 minute", "1 分钟"),
    (timedelta(minutes=10), "10 minutes", "10 分钟"),
    (timedelta(minutes=90), "90 minutes", "90 分钟"),
    (timedelta(hours=1), "1 hour", "1 小时"),
    (timedelta(hours=24), "24 hours", "24 小时"),
    (timedelta(hours=72), "3 days", "3 天"),
])
def test_response_times_read_naturally_in_both_languages(app, span, english, chinese):
    with app.test_request_context():
        with force_locale("en"):
            assert duration(span) == english
        with force_locale("zh"):
            assert duration(span) == chinese


def _change(app, **values):
    from portal import settings
    from portal.extensions import db
    from portal.models import Staff

    lead = Staff(email="promise-lead@example.com", role="lead", password_hash="")
    db.session.add(lead)
    db.session.flush()
    assert settings.change(lead, values)[1] == {}
    db.session.commit()


def test_every_customer_facing_promise_follows_a_change_in_the_browser(app, client, make_order, customer):
    from tests.orders.helpers import sign_in_as

    assert "we answer urgent problems within 10 minutes." in client.get("/").get_data(as_text=True)
    _change(app, sla_first_response_minutes_high="20", sla_first_response_minutes_low="4320")
    home = client.get("/").get_data(as_text=True)
    assert "we answer urgent problems within 20 minutes." in home  # the footer, cached per promise
    assert "20 minutes" in home.split('class="promise"')[1] and "3 days" in home
    late = make_order(customer=customer, status="paid", ship_by=utcnow() - timedelta(hours=2))
    sign_in_as(client, customer)
    assert "urgent problems are answered within 20 minutes." in client.get("/complaints/new").get_data(as_text=True)
    assert "a person answers within 20 minutes" in client.get(f"/orders/{late.number}").get_data(as_text=True)


def test_a_business_hours_promise_says_so_in_both_languages(app, client):
    _change(app, sla_clock_high="business")
    assert "we answer urgent problems within 10 minutes during opening hours." in client.get("/").get_data(
        as_text=True)
    chinese = client.get("/", headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    assert "10 分钟" in chinese and "during opening hours" not in chinese
