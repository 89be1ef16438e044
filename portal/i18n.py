"""Translations on the hot path: flask-babel's catalogs, reached in one step instead of several.

A page shows dozens of messages, and flask-babel resolves context, domain and locale again for each one;
here the catalog is looked up once per locale and request. Same catalogs, same results, same
`force_locale` behaviour (the e-mails rely on it).
"""

from flask import g
from flask_babel import get_translations
from flask_babel.speaklater import LazyString
from jinja2 import pass_context
from markupsafe import Markup


def catalog():
    """The current locale's translations, remembered beside the locale object flask-babel keeps.

    force_locale sets a new locale object and refresh removes it, so either leads to a fresh lookup.
    """
    if not g:
        return get_translations()
    state = g.get("_flask_babel")
    locale = getattr(state, "babel_locale", None)
    remembered = getattr(state, "portal_catalog", None)
    if locale is not None and remembered is not None and remembered[0] is locale:
        return remembered[1]
    translations = get_translations()
    state = g.get("_flask_babel")
    if state is not None:
        state.portal_catalog = (getattr(state, "babel_locale", None), translations)
    return translations


def gettext(string, **variables):
    text = catalog().ugettext(string)
    return text % variables if variables else text


def lazy_gettext(string, **variables):
    """A label translated when shown, in the reader's language (flask-babel's LazyString)."""
    return LazyString(gettext, string, **variables)


@pass_context
def _template_gettext(context, string, **variables):
    return _newstyle(context, catalog().ugettext(string), variables)


@pass_context
def _template_ngettext(context, singular, plural, num, **variables):
    variables.setdefault("num", num)
    return _newstyle(context, catalog().ungettext(singular, plural, num), variables)


def _newstyle(context, text, variables):
    # Jinja's "newstyle" gettext: escape the values, not the message, and always %-format.
    if context.eval_ctx.autoescape:
        text = Markup(text)  # noqa: S704 - our own catalog's message, as Jinja itself trusts it
    return text % variables


def install_template_gettext(app):
    """`_`, gettext and ngettext in templates, called directly: Jinja's i18n extension would reach the
    catalog through three nested context calls per message. Runs after flask-babel's init_app."""
    app.jinja_env.globals.update(_=_template_gettext, gettext=_template_gettext, ngettext=_template_ngettext)
