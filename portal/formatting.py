"""The one way money, dates and times become text a person reads: Babel's formatting, in the reader's language
(the request's, or the one `portal.i18n.force_locale` sets for an e-mail) and the reader's time zone. Also how
a case's reference is kept whole on a page.

Money is stored as integer minor units ("cents") with its currency; the currency says how many digits follow
the decimal point (EUR two, JPY none), so nothing here or in a template divides by 100.
"""

import functools
import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytz
from babel import dates as babel_dates
from babel.dates import format_skeleton
from babel.dates import format_timedelta as babel_format_timedelta
from babel.numbers import format_currency as babel_format_currency
from babel.numbers import get_currency_precision
from flask_babel import get_timezone
from markupsafe import Markup, escape

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

def format_datetime(value, format="medium", zone=None):
    """A date and time in the reader's language and time zone (or `zone`)."""
    return babel_dates.format_datetime(value, format, tzinfo=_zone(zone), locale=locale_tag())


def format_date(value, format="medium", zone=None):
    """A date in the reader's language; a datetime is first moved to the reader's time zone (or `zone`)."""
    if isinstance(value, datetime):
        value = to_user_timezone(value, zone)
    return babel_dates.format_date(value, format, locale=locale_tag())


def format_time(value, format="medium", zone=None):
    """A time of day in the reader's language and time zone (or `zone`)."""
    return babel_dates.format_time(value, format, tzinfo=_zone(zone), locale=locale_tag())


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


# ---- References ----------------------------------------------------------------------------------

# A case's reference (C-7K3M9Q2X), and a return's (R-…) or another kind's made the same way: a letter, a hyphen
# and eight capitals or digits. A browser may break a line after the hyphen ("case C-" / "7K3M9Q2X").
REFERENCE = re.compile(r"(?<![\w-])[A-Z]-[0-9A-Z]{8}(?![\w-])")


def unbroken_refs(text):
    """`text`, escaped, with each reference in it kept on one line: <span class="ref"> (white-space: nowrap in
    portal.css). For a reference alone, or a message or stored text that holds one."""
    if text is None:
        return Markup("")
    # Markup passes escape() as it is: only the text between its tags is marked, never a link's href.
    pieces = re.split(r"(<[^>]*>)", str(escape(text)))
    marked = "".join(piece if piece.startswith("<") else
                     REFERENCE.sub(lambda found: f'<span class="ref">{found.group()}</span>', piece)
                     for piece in pieces)
    return Markup(marked)  # noqa: S704 - escaped first; a reference is capitals, digits and a hyphen


FILTERS = {"datetimeformat": format_datetime, "dateformat": format_date, "timeformat": format_time,
           "money": money, "moment": moment, "resumes": resumes, "duration": duration,
           "unbroken_refs": unbroken_refs}
