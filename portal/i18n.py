"""The one door to translations: every module takes gettext, lazy_gettext, ngettext and force_locale from here.

Templates get `_`, gettext and ngettext called directly, bound to the catalog of the moment a render starts
(Jinja's i18n extension would reach the catalog through three nested context calls per message). Same
catalogs and the same `force_locale` behaviour as flask-babel, through its public functions only. Money and
dates are `portal.formatting`.
"""

from flask import g
from flask_babel import force_locale, get_locale, get_translations
from flask_babel.speaklater import LazyString
from jinja2 import pass_context
from markupsafe import Markup

__all__ = ["force_locale", "gettext", "lazy_gettext", "ngettext", "N_", "N_plural", "locale_tag", "catalog"]


def _per_locale(name, compute):
    """`compute()`, remembered on the request's `g` for as long as flask-babel's locale is the same object:
    force_locale and refresh replace it, so either leads to a fresh lookup. flask-babel's own lookup finds
    the domain, the locale and the locale's name again for every message (about three times this cost)."""
    locale = get_locale()
    if locale is None:  # outside any app context
        return compute()
    remembered = g.get(name)
    if remembered is not None and remembered[0] is locale:
        return remembered[1]
    value = compute()
    setattr(g, name, (locale, value))
    return value


def catalog():
    """The current locale's translations."""
    return _per_locale("portal_catalog", get_translations)


def locale_tag():
    """The reader's language tag ("en", "zh"): the request's, or the one force_locale set."""
    return _per_locale("portal_locale_tag", lambda: str(get_locale() or "en"))


def gettext(string, **variables):
    text = catalog().ugettext(string)
    return text % variables if variables else text


def ngettext(singular, plural, num, **variables):
    variables.setdefault("num", num)
    return catalog().ungettext(singular, plural, num) % variables


def lazy_gettext(string, **variables):
    """A label translated when shown, in the reader's language (flask-babel's LazyString)."""
    return LazyString(gettext, string, **variables)


def N_(message):
    """Mark a message for the translation catalog without translating it here."""
    return message


def N_plural(singular, plural):
    """Mark a message with a count (`%(num)s` in params) for the catalog, as a pair of forms."""
    return singular, plural


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


def install_template_helpers(app):
    """`_`, gettext and ngettext in templates. Runs after flask-babel's init_app, whose functions these replace."""
    # Globals for templates rendered without Flask's context processors (a macro imported without context).
    app.jinja_env.globals.update(_template_functions(catalog))
    app.context_processor(_render_messages)
