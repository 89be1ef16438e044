"""portal.i18n reaches flask-babel's catalogs directly: the same words, the same escaping, and a forced
language (the e-mails) switches it for the duration and back."""

from flask import render_template_string
from flask_babel import force_locale, refresh

from portal.i18n import gettext, lazy_gettext


def test_template_gettext_follows_force_locale_and_returns_to_the_request_language(app):
    template = '{{ _("Skip to content") }}'
    with app.test_request_context("/", headers={"Accept-Language": "en"}):
        before = render_template_string(template)
        with force_locale("zh"):
            forced = render_template_string(template)
        after = render_template_string(template)

    assert (before, forced, after) == ("Skip to content", "跳到主要内容", "Skip to content")


def test_template_gettext_escapes_the_values_and_not_the_message(app):
    with app.test_request_context("/"):
        html = render_template_string('{{ _("Order %(number)s", number=number) }}', number="<b>1</b>")

    assert html == "Order &lt;b&gt;1&lt;/b&gt;"


def test_template_ngettext_picks_the_plural_form_and_fills_num(app):
    with app.test_request_context("/"):
        one = render_template_string('{{ ngettext("%(num)d day", "%(num)d days", 1) }}')
        three = render_template_string('{{ ngettext("%(num)d day", "%(num)d days", 3) }}')

    assert (one, three) == ("1 day", "3 days")


def test_lazy_label_is_translated_when_shown_in_the_language_of_that_moment(app):
    label = lazy_gettext("Skip to content")
    with app.test_request_context("/", headers={"Accept-Language": "zh-CN"}):
        chinese = str(label)
        with force_locale("en"):
            english = str(label)

    assert (chinese, english) == ("跳到主要内容", "Skip to content")


def test_refresh_after_a_language_change_is_seen_by_the_next_message(app):
    with app.test_request_context("/", headers={"Accept-Language": "en"}) as context:
        assert gettext("Skip to content") == "Skip to content"
        context.session["locale"] = "zh"
        refresh()

        assert gettext("Skip to content") == "跳到主要内容"


def test_gettext_outside_any_app_context_answers_with_the_message_itself():
    assert gettext("Skip to content") == "Skip to content"


def test_a_template_rendered_without_flasks_context_still_speaks_the_request_language(app):
    # A macro imported without context, or the environment used directly, reaches `_` as a global.
    with app.test_request_context("/", headers={"Accept-Language": "zh-CN"}):
        html = app.jinja_env.from_string('{{ _("Skip to content") }}').render()

    assert html == "跳到主要内容"
