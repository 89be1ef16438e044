"""The leads' knowledge forms. CSRFProtect checks every POST; portal.lead.knowledge validates what was typed and
names each field's problem, so these forms only read the fields (and keep them for re-showing the page)."""

from flask_wtf import FlaskForm
from wtforms import BooleanField, StringField, SubmitField, TextAreaField

from portal.numbers import parse_int


class _Form(FlaskForm):
    class Meta:
        csrf = False

    def values(self):
        """What was typed, by field name: the service function's arguments and the page's `form`."""
        return {name: field.data for name, field in self._fields.items() if not isinstance(field, SubmitField)}


def _text(**kwargs):
    return StringField(default="", filters=[lambda value: value or ""], **kwargs)


class ArticleForm(_Form):
    slug = _text()
    title = _text()
    locale = _text()
    category = _text()
    scenario = _text()
    keywords = _text()
    body = TextAreaField(default="", filters=[lambda value: value or ""])
    published = BooleanField(false_values=("", "0", "false"))
    translation_of = _text()
    preview = SubmitField()


class SynonymForm(_Form):
    locale = _text()
    term = _text()
    expansions = _text()


class CannedReplyForm(_Form):
    title = _text()
    locale = _text()
    body = TextAreaField(default="", filters=[lambda value: value or ""])
    empathy = BooleanField(false_values=("", "0", "false"))


class IntentForm(_Form):
    trigger_kind = _text()
    trigger = _text()
    action = _text()
    position = _text()

    @property
    def position_number(self):
        """The place in the list; -1 (refused by the service, with its message) when it is not a number."""
        number = parse_int(self.position.data or "0")
        return -1 if number is None else number
