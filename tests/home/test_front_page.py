"""The front page: search, the self-service actions that exist, and the response-time promise from settings."""

from datetime import timedelta

import pytest
from flask_babel import force_locale

from portal.home.views import duration
from tests.conftest import make_app


def test_front_page_offers_only_the_journeys_that_exist(app, client):
    html = client.get("/").get_data(as_text=True)

    assert html.count('class="card card-link"') == sum(
        endpoint in app.view_functions
        for endpoint in ("orders.track", "returns.start", "complaints.new", "cases.index", "help.index")
    )
    if "orders.track" in app.view_functions:
        assert "Track your order" in html
    if "returns.start" not in app.view_functions:
        assert "Start a return" not in html


def test_front_page_search_goes_to_the_help_search(app, client):
    html = client.get("/").get_data(as_text=True)

    if "help.search" in app.view_functions:
        assert 'id="hero-q" name="q" type="search"' in html
        assert 'action="/help/search"' in html
        assert 'href="/help/search?q=Where+is+my+order?"' in html
    else:
        assert 'id="hero-q"' not in html


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
