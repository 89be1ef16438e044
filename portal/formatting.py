"""The one way money, dates and times become text a person reads: Babel's formatting, in the reader's language
(the request's, or the one `portal.i18n.force_locale` sets for an e-mail) and the reader's time zone.

Money is stored as integer minor units ("cents") with its currency; the currency says how many digits follow
the decimal point (EUR two, JPY none), so nothing here or in a template divides by 100.

Babel formats a date by re-reading the locale's data for every field of every value; here each pattern is
split into its fields once, and each field remembers Babel's own text for the part of the value it shows
(the month for "MMM", the hour for "a"). Same text as flask-babel's filters (tests/test_i18n_formats.py).
"""

import functools
import operator
import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytz
from babel import Locale
from babel.dates import (
    DateTimeFormat,
    format_skeleton,
    get_date_format,
    get_datetime_format,
    get_time_format,
    tokenize_pattern,
)
from babel.dates import format_timedelta as babel_format_timedelta
from babel.numbers import format_currency as babel_format_currency
from babel.numbers import get_currency_precision
from flask_babel import get_timezone

from portal.i18n import locale_tag, ngettext

# ---- Money ---------------------------------------------------------------------------------------


def currency_digits(currency):
    """How many digits follow the decimal point in the currency's amounts: EUR 2, JPY 0."""
    return get_currency_precision(currency or "USD")


@functools.lru_cache(maxsize=4096)
def _money_text(cents, currency, locale):
    # A shop's prices repeat from order to order: each amount's text is remembered per currency and language.
    amount = Decimal(cents).scaleb(-currency_digits(currency))
    return babel_format_currency(amount, currency, locale=locale)


def money(cents, currency="USD"):
    """An amount stored in minor units, as the reader writes money: "€12.50", "¥1,200", "US$3.00"."""
    if cents is None:
        return ""
    return _money_text(int(cents), currency or "USD", locale_tag())


# ---- Time zones ----------------------------------------------------------------------------------

def _zone(zone):
    """`zone` (a name or a tzinfo) or, when None, the reader's zone; an unknown name is read as UTC."""
    if zone is None:
        return get_timezone() or pytz.UTC
    if isinstance(zone, str):
        try:
            return pytz.timezone(zone)
        except pytz.UnknownTimeZoneError:
            return pytz.UTC
    return zone


def to_user_timezone(value, zone=None):
    """`value` (naive values are UTC) in the reader's time zone, or in `zone`."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    zone = _zone(zone)
    return zone.normalize(value.astimezone(zone)) if hasattr(zone, "normalize") else value.astimezone(zone)


# ---- Dates ---------------------------------------------------------------------------------------

STANDARD_WIDTHS = ("short", "medium", "long", "full")
# The part of a value each field's text depends on; fields not listed (time zones, weeks) ask Babel each time.
_FIELD_SOURCES = {
    "y": operator.attrgetter("year"),
    "M": operator.attrgetter("month"),
    "L": operator.attrgetter("month"),
    "d": operator.attrgetter("day"),
    "E": operator.methodcaller("weekday"),
    "a": operator.attrgetter("hour"),
    "h": operator.attrgetter("hour"),
    "H": operator.attrgetter("hour"),
    "K": operator.attrgetter("hour"),
    "k": operator.attrgetter("hour"),
    "m": operator.attrgetter("minute"),
    "s": operator.attrgetter("second"),
}


def _field(name, locale):
    source = _FIELD_SOURCES.get(name[0])
    if source is None:
        return lambda value: DateTimeFormat(value, locale)[name]
    texts = {}

    def field(value):
        part = source(value)
        text = texts.get(part)
        if text is None:
            text = texts[part] = DateTimeFormat(value, locale)[name]
        return text

    return field


def _compile(pattern, locale):
    return [value if kind == "chars" else _field(value[0] * value[1], locale)
            for kind, value in tokenize_pattern(pattern)]


@functools.lru_cache(maxsize=128)
def _pattern_parts(kind, format, locale):
    """Literal text and field functions for a named width ("medium") or a pattern ("yyyy-MM-dd")."""
    parsed = Locale.parse(locale)
    if format not in STANDARD_WIDTHS:
        return _compile(format, parsed)
    if kind == "date":
        return _compile(get_date_format(format, parsed).pattern, parsed)
    if kind == "time":
        return _compile(get_time_format(format, parsed).pattern, parsed)
    # As Babel joins them: the locale's "{1}, {0}" with its quotes dropped, the date for {1}, the time for {0}.
    parts = []
    for piece in re.split(r"(\{[01]\})", get_datetime_format(format, parsed).replace("'", "")):
        if piece == "{0}":
            parts += _pattern_parts("time", format, locale)
        elif piece == "{1}":
            parts += _pattern_parts("date", format, locale)
        elif piece:
            parts.append(piece)
    return parts


def _format(kind, value, format):
    parts = _pattern_parts(kind, format, locale_tag())
    return "".join([part if part.__class__ is str else part(value) for part in parts])


def format_datetime(value, format="medium", zone=None):
    """A date and time in the reader's language and time zone (or `zone`)."""
    return _format("datetime", to_user_timezone(value, zone), format)


def format_date(value, format="medium", zone=None):
    """A date in the reader's language; a datetime is first moved to the reader's time zone (or `zone`)."""
    if isinstance(value, datetime):
        value = to_user_timezone(value, zone)
    return _format("date", value, format)


def format_time(value, format="medium", zone=None):
    """A time of day in the reader's language and time zone (or `zone`)."""
    return _format("time", to_user_timezone(value, zone), format)


def moment(when, with_year=False, with_time=True, zone=None):
    """A short date (and time) in the reader's language and time zone (or `zone`): "Dec 1 08:05", "12月1日 08:05"."""
    if when is None:
        return ""
    zone, locale = _zone(zone), locale_tag()
    day = format_skeleton("yMMMd" if with_year else "MMMd", when, tzinfo=zone, locale=locale)
    return f"{day} {format_skeleton('Hm', when, tzinfo=zone, locale=locale)}" if with_time else day


def resumes(when, now, zone=None):
    """When a stopped clock starts again, in the reader's language and zone: "Mon 09:00" within the week,
    "Mon, Dec 28 09:00" further on (holidays)."""
    zone, locale = _zone(zone), locale_tag()
    if when - now < timedelta(days=6):
        return format_skeleton("EHm", when, tzinfo=zone, locale=locale)
    day = format_skeleton("MMMEd", when, tzinfo=zone, locale=locale)
    return f"{day} {format_skeleton('Hm', when, tzinfo=zone, locale=locale)}"


def duration(span):
    """A response time in words, in the reader's language: "10 minutes", "1 hour", "3 days"."""
    minutes = int(span.total_seconds() // 60)
    if minutes >= 48 * 60 and minutes % (24 * 60) == 0:
        return ngettext("%(num)d day", "%(num)d days", minutes // (24 * 60))
    if minutes >= 60 and minutes % 60 == 0:
        return ngettext("%(num)d hour", "%(num)d hours", minutes // 60)
    return ngettext("%(num)d minute", "%(num)d minutes", minutes)


def format_timedelta(delta, **options):
    """A span of time in words, in the reader's language ("5 minutes", "5分钟")."""
    return babel_format_timedelta(delta, locale=locale_tag(), **options)


def zone_name(zone=None):
    """The name of a time zone as people read it ("America/New_York" as "America/New York")."""
    return str(zone or get_timezone()).replace("_", " ")


FILTERS = {"datetimeformat": format_datetime, "dateformat": format_date, "timeformat": format_time,
           "money": money, "moment": moment, "resumes": resumes, "duration": duration}
