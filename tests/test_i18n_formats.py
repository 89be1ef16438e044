"""The date and money filters write exactly what flask-babel writes, in the reader's language and time zone."""

import random
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import flask_babel
import pytest
from babel.numbers import get_currency_precision
from flask import g, render_template_string

from portal import formatting

WIDTHS = ["short", "medium", "long", "full"]
DATETIME_PATTERNS = ["yyyy-MM-dd HH:mm", "EEE d MMM yy, h:mm a", "y年M月d日 EEEE HH:mm:ss"]
DATE_PATTERNS = ["y年M月d日 EEEE", "dd.MM.yy", "MMMM y"]


def _moments():
    rng = random.Random(11)
    start = datetime(2019, 1, 1, tzinfo=UTC)
    moments = [start + timedelta(seconds=rng.randrange(12 * 365 * 86400)) for _ in range(150)]
    # Around midnight, noon and the daylight-saving changes, where hours, days and periods turn over.
    moments += [datetime(2026, 3, 8, 6, 59, 59, tzinfo=UTC), datetime(2026, 3, 8, 7, 0, tzinfo=UTC),
                datetime(2026, 11, 1, 5, 30, tzinfo=UTC), datetime(2026, 10, 25, 0, 30, tzinfo=UTC),
                datetime(2026, 12, 31, 23, 59, 59, tzinfo=UTC), datetime(2027, 1, 1, 12, 0, tzinfo=UTC),
                datetime(2026, 6, 1, 0, 0, tzinfo=UTC)]
    return moments


@pytest.mark.parametrize("locale", ["en", "zh"])
@pytest.mark.parametrize("zone", ["UTC", "Asia/Shanghai", "America/New_York", "Europe/London"])
def test_date_formats_match_flask_babel(app, locale, zone):
    with app.test_request_context(), flask_babel.force_locale(locale):
        g.timezone = zone
        for moment in _moments():
            for width in WIDTHS + DATETIME_PATTERNS:
                assert formatting.format_datetime(moment, width) == flask_babel.format_datetime(moment, width), width
            for width in WIDTHS:
                assert formatting.format_time(moment, width) == flask_babel.format_time(moment, width), width
            for width in WIDTHS + DATE_PATTERNS:
                assert formatting.format_date(moment, width) == flask_babel.format_date(moment, width), width
                day = moment.date()
                assert formatting.format_date(day, width) == flask_babel.format_date(day, width), width


def test_template_filters_show_the_readers_zone_and_language(app):
    moment = datetime(2026, 12, 1, 16, 5, tzinfo=UTC)
    template = '{{ moment|datetimeformat("medium") }} | {{ day|dateformat("full") }}'
    with app.test_request_context(), flask_babel.force_locale("zh"):
        g.timezone = "Asia/Shanghai"
        shown = render_template_string(template, moment=moment, day=date(2026, 12, 5))

    assert shown == "2026年12月2日 00:05:00 | 2026年12月5日星期六"


@pytest.mark.parametrize("locale", ["en", "zh"])
def test_money_from_minor_units_matches_flask_babel(app, locale):
    rng = random.Random(5)
    amounts = [rng.randrange(0, 10_000_000) for _ in range(200)] + [0, 1, 50, 123456789, -1230]
    with app.test_request_context(), flask_babel.force_locale(locale):
        for cents in amounts:
            for currency in ("USD", "EUR", "CNY", "JPY", "GBP"):
                units = Decimal(cents).scaleb(-get_currency_precision(currency))
                assert formatting.money(cents, currency) == flask_babel.format_currency(units, currency)


@pytest.mark.parametrize(("locale", "cents", "currency", "shown"), [
    ("en", 1250, "EUR", "€12.50"), ("zh", 1250, "EUR", "€12.50"),
    ("en", 1200, "JPY", "¥1,200"), ("zh", 1200, "JPY", "JP¥1,200"),
    ("en", 123456, "EUR", "€1,234.56"), ("zh", 5, "JPY", "JP¥5"),
])
def test_money_shows_each_currencys_own_digits_in_the_readers_language(app, locale, cents, currency, shown):
    with app.test_request_context(), flask_babel.force_locale(locale):
        assert formatting.money(cents, currency) == shown


@pytest.mark.parametrize(("text", "shown"), [
    ("C-7K3M9Q2X", '<span class="ref">C-7K3M9Q2X</span>'),
    ("case C-7K3M9Q2X. We answer <soon>", 'case <span class="ref">C-7K3M9Q2X</span>. We answer &lt;soon&gt;'),
    ("工单 C-7K3M9Q2X。退货单 R-7K3M9Q2X",
     '工单 <span class="ref">C-7K3M9Q2X</span>。退货单 <span class="ref">R-7K3M9Q2X</span>'),
    ("T-SHIRT-001, X-ABCDEFGH1, order 100119", "T-SHIRT-001, X-ABCDEFGH1, order 100119"),
    (None, ""),
])
def test_a_reference_is_kept_on_one_line_and_the_rest_escaped(text, shown):
    assert formatting.unbroken_refs(text) == shown


def test_a_reference_inside_markup_is_marked_in_the_text_not_in_the_link():
    from markupsafe import Markup

    link = Markup('<a href="/cases/C-7K3M9Q2X">C-7K3M9Q2X</a>')
    assert formatting.unbroken_refs(link) == '<a href="/cases/C-7K3M9Q2X"><span class="ref">C-7K3M9Q2X</span></a>'
