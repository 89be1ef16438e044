"""The agents' forms; CSRFProtect checks every POST, so the forms only validate what was typed.

Each field's id is the id of its input on the case workspace: the error summary links to it.
"""

import re

from flask_wtf import FlaskForm
from wtforms import DateTimeLocalField, HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional, ValidationError

from portal.agent.service import MAX_AMOUNT_CENTS, MAX_MESSAGE_CHARS, MAX_REASON_CHARS, TYPES_WITH_AMOUNT
from portal.formatting import currency_digits
from portal.i18n import lazy_gettext as _l
from portal.labels import RESOLUTION_LABELS, URGENCY_LABELS
from portal.numbers import parse_int

# Units and at most two decimals in ASCII digits: Decimal() would also read Arabic-Indic digits and "1e3".
AMOUNT = re.compile(r"([0-9]{1,12})(?:[.,]([0-9]{1,2}))?")

RESOLUTION_CHOICES = list(RESOLUTION_LABELS.items())
URGENCY_CHOICES = list(URGENCY_LABELS.items())


class _Form(FlaskForm):
    class Meta:
        csrf = False


def _message(label, required, field_id):
    return TextAreaField(label, id=field_id, validators=[
        DataRequired(required),
        Length(max=MAX_MESSAGE_CHARS, message=_l("Write at most %(max)d characters.", max=MAX_MESSAGE_CHARS)),
    ])


class ReplyForm(_Form):
    body = _message(_l("Reply to the customer"), _l("Write the reply first."), "reply-body")


class NoteForm(_Form):
    body = _message(_l("Internal note"), _l("Write the note first."), "note-body")


class ReturnDecisionForm(_Form):
    decision = SelectField(_l("Decision"), choices=[("approve", _l("Approve")), ("reject", _l("Reject"))],
                           id="decision", validators=[InputRequired()])
    reason = TextAreaField(_l("Reason (the customer reads it)"), id="decision-reason", validators=[
        Length(max=MAX_REASON_CHARS, message=_l("Write at most %(max)d characters.", max=MAX_REASON_CHARS))])

    def validate_reason(self, field):
        if self.decision.data == "reject" and not (field.data or "").strip():
            raise ValidationError(_l("Say why the return is rejected."))


class ReceiveParcelForm(_Form):
    note = StringField(_l("What arrived (for the timeline, optional)"), validators=[
        Length(max=MAX_REASON_CHARS, message=_l("Write at most %(max)d characters.", max=MAX_REASON_CHARS))])


def parse_amount(text, currency="USD"):
    """An amount typed as 12 or 12.50, in the currency's minor units (cents; yen have none); None when it is not
    a positive amount with at most the currency's decimals."""
    match = AMOUNT.fullmatch((text or "").strip(" \t"))
    if match is None:
        return None
    units, decimals = match.group(1, 2)
    digits = currency_digits(currency)
    if len(decimals or "") > digits:
        return None
    cents = parse_int(units) * 10**digits + (parse_int(decimals.ljust(digits, "0")) if decimals else 0)
    return cents if 0 < cents <= MAX_AMOUNT_CENTS else None


class ResolveForm(_Form):
    resolution_type = SelectField(_l("Resolution"), choices=RESOLUTION_CHOICES, id="resolution-type",
                                  validators=[InputRequired()])
    amount = StringField(_l("Amount (refund or coupon value)"), id="resolution-amount",
                         validators=[Optional(), Length(max=20)])
    note = TextAreaField(_l("What we did (the customer reads it)"), id="resolution-note", validators=[
        DataRequired(_l("Say what was done.")),
        Length(max=MAX_MESSAGE_CHARS, message=_l("Write at most %(max)d characters.", max=MAX_MESSAGE_CHARS))])

    def __init__(self, *args, currency="USD", **kwargs):
        super().__init__(*args, **kwargs)
        self.currency = currency

    def validate_amount(self, field):
        if self.resolution_type.data in TYPES_WITH_AMOUNT and parse_amount(field.data, self.currency) is None:
            raise ValidationError(_l("Enter an amount greater than 0, like 15 or 15.50.")
                                  if currency_digits(self.currency) else _l("Enter a whole amount greater than 0."))

    @property
    def amount_cents(self):
        """The amount in the case currency's minor units."""
        return parse_amount(self.amount.data, self.currency) if self.resolution_type.data in TYPES_WITH_AMOUNT else 0


class ReassignForm(_Form):
    staff_id = SelectField(_l("Hand over to"), coerce=int, id="reassign-to", validators=[InputRequired()])
    reason = StringField(_l("Reason"), id="reassign-reason", validators=[Optional(), Length(max=MAX_REASON_CHARS)])


class UrgencyForm(_Form):
    urgency = SelectField(_l("Urgency"), choices=URGENCY_CHOICES, id="urgency", validators=[InputRequired()])
    reason = StringField(_l("Reason"), id="urgency-reason", validators=[
        DataRequired(_l("Say why the urgency changes.")), Length(max=MAX_REASON_CHARS)])


class RevealForm(_Form):
    field = SelectField(choices=[("email", "email"), ("phone", "phone")], validators=[InputRequired()])


class CallbackOutcomeForm(_Form):
    action = HiddenField()
    note = TextAreaField(_l("Outcome of the call"), validators=[
        DataRequired(_l("Write what came of the call.")), Length(max=MAX_MESSAGE_CHARS)])


class RescheduleForm(_Form):
    due_at = DateTimeLocalField(_l("Call again at (UTC)"), format="%Y-%m-%dT%H:%M", validators=[
        InputRequired(_l("Choose a date and time."))])
