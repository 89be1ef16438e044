"""Translations and dates on the hot path: flask-babel's catalogs and Babel's patterns, reached in one step.

A page shows dozens of messages, and flask-babel resolves context, domain and locale again for each one;
here the catalog is looked up once per locale and request. Same catalogs, same results, same
`force_locale` behaviour (the e-mails rely on it).

Babel formats a date by re-reading the locale's data for every field of every value; here each pattern is
split into its fields once, and each field remembers Babel's own text for the part of the value it shows
(the month for "MMM", the hour for "a"). Same text as flask-babel's filters, in the user's time zone.
Money is Babel's text too, remembered per amount.
"""

import functools
import operator
import re
from datetime import UTC, datetime

from babel import Locale
from babel.dates import DateTimeFormat, get_date_format, get_datetime_format, get_time_format, tokenize_pattern
from babel.numbers import format_currency as babel_format_currency
from flask import g
from flask_babel import get_locale, get_timezone, get_translations
from flask_babel.speaklater import LazyString
from jinja2 import pass_context
from markupsafe import Markup


def _babel_state():
    """flask-babel's per-request state (locale, zone and what we remember beside them), if it exists yet."""
    try:
        app_globals = g._get_current_object()
    except RuntimeError:
        return None
    return getattr(app_globals, "_flask_babel", None)


def _remembered(name, depends_on, compute):
    """`compute()`, remembered in flask-babel's state for as long as its `depends_on` attribute is the same
    object. force_locale sets a new locale object and refresh removes it, so either leads to a fresh lookup."""
    state = _babel_state()
    source = getattr(state, depends_on, None)
    remembered = getattr(state, name, None)
    if source is not None and remembered is not None and remembered[0] is source:
        return remembered[1]
    value = compute()
    state = _babel_state()  # the first lookup of a request creates the state
    if state is not None:
        setattr(state, name, (getattr(state, depends_on, None), value))
    return value


def catalog():
    """The current locale's translations."""
    return _remembered("portal_catalog", "babel_locale", get_translations)


def gettext(string, **variables):
    text = catalog().ugettext(string)
    return text % variables if variables else text


def lazy_gettext(string, **variables):
    """A label translated when shown, in the reader's language (flask-babel's LazyString)."""
    return LazyString(gettext, string, **variables)


def _template_functions(translations):
    """`_` (also named gettext) and ngettext for templates, reading messages from `translations()`."""

    @pass_context
    def template_gettext(context, string, **variables):
        return _newstyle(context, translations().ugettext(string), variables)

    @pass_context
    def template_ngettext(context, singular, plural, num, **variables):
        variables.setdefault("num", num)
        return _newstyle(context, translations().ungettext(singular, plural, num), variables)

    return {"_": template_gettext, "gettext": template_gettext, "ngettext": template_ngettext}


def _render_messages():
    """Context processor: the template functions bound to the catalog of the moment the render starts, so a
    page's messages skip the lookup of the request's locale (force_locale around a render still applies)."""
    translations = catalog()
    return _template_functions(lambda: translations)


def _newstyle(context, text, variables):
    # Jinja's "newstyle" gettext: escape the values, not the message, and always %-format ("%%" is "%"),
    # which a message without values or percent signs can skip.
    if context.eval_ctx.autoescape:
        text = Markup(text)  # noqa: S704 - our own catalog's message, as Jinja itself trusts it
    return text % variables if variables or "%" in text else text


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
def _pattern_parts(kind, format, locale_tag):
    """Literal text and field functions for a named width ("medium") or a pattern ("yyyy-MM-dd")."""
    locale = Locale.parse(locale_tag)
    if format not in STANDARD_WIDTHS:
        return _compile(format, locale)
    if kind == "date":
        return _compile(get_date_format(format, locale).pattern, locale)
    if kind == "time":
        return _compile(get_time_format(format, locale).pattern, locale)
    # As Babel joins them: the locale's "{1}, {0}" with its quotes dropped, the date for {1}, the time for {0}.
    parts = []
    for piece in re.split(r"(\{[01]\})", get_datetime_format(format, locale).replace("'", "")):
        if piece == "{0}":
            parts += _pattern_parts("time", format, locale_tag)
        elif piece == "{1}":
            parts += _pattern_parts("date", format, locale_tag)
        elif piece:
            parts.append(piece)
    return parts


def locale_tag():
    """The request's language tag ("en", "zh")."""
    return _remembered("portal_locale_tag", "babel_locale", lambda: str(get_locale() or "en"))


def to_user_timezone(value):
    """flask-babel's to_user_timezone, with the request's zone taken from where flask-babel keeps it."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    zone = getattr(_babel_state(), "babel_tzinfo", None) or get_timezone()
    return zone.normalize(value.astimezone(zone))


def _format(kind, value, format):
    parts = _pattern_parts(kind, format, locale_tag())
    return "".join([part if part.__class__ is str else part(value) for part in parts])


def format_datetime(value, format="medium"):
    """flask-babel's format_datetime: in the user's time zone and language."""
    return _format("datetime", to_user_timezone(value), format)


def format_date(value, format="medium"):
    """flask-babel's format_date: a datetime is first moved to the user's time zone."""
    if isinstance(value, datetime):
        value = to_user_timezone(value)
    return _format("date", value, format)


def format_time(value, format="medium"):
    """flask-babel's format_time: in the user's time zone and language."""
    return _format("time", to_user_timezone(value), format)


# ---- Money ---------------------------------------------------------------------------------------

@functools.lru_cache(maxsize=4096)
def _currency_text(amount, currency, locale_tag):
    return babel_format_currency(amount, currency, locale=locale_tag)


def format_currency(amount, currency):
    """flask-babel's format_currency. A shop's prices repeat from order to order, so each amount's text is
    remembered per currency and language."""
    return _currency_text(amount, currency, locale_tag())


def install_template_helpers(app):
    """`_`, gettext and ngettext in templates, called directly (Jinja's i18n extension would reach the
    catalog through three nested context calls per message), and the date and money filters above in place
    of flask-babel's. Runs after flask-babel's init_app."""
    # Globals for templates rendered without Flask's context processors (a macro imported without context).
    app.jinja_env.globals.update(_template_functions(catalog))
    app.context_processor(_render_messages)
    app.jinja_env.filters.update(datetimeformat=format_datetime, dateformat=format_date, timeformat=format_time,
                                 currencyformat=format_currency)
