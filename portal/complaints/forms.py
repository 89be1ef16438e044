from flask_wtf import FlaskForm
from wtforms import SelectField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, ValidationError

from portal.i18n import lazy_gettext as _l

MIN_DESCRIPTION = 10
MAX_DESCRIPTION = 5000

CATEGORIES = [
    ("late_or_lost", _l("My order is late or lost")),
    ("damaged_or_unsafe", _l("The product arrived damaged or is unsafe")),
    ("allergy_or_injury", _l("An allergic reaction or an injury")),
    ("double_charge", _l("I was charged twice")),
    ("not_working", _l("The product does not work as expected")),
    ("refund_delay", _l("My refund is later than promised")),
    ("wrong_item", _l("Wrong size, colour or item")),
    ("coupon", _l("A coupon or discount did not work")),
    ("service", _l("How we treated you")),
    ("suggestion", _l("A suggestion or feedback")),
    ("other", _l("Something else")),
]
OUTCOMES = [
    ("refund", _l("A refund")),
    ("replacement", _l("A replacement")),
    ("repair", _l("A repair")),
    ("explanation", _l("An explanation")),
    ("apology", _l("An apology")),
    ("other", _l("Something else (tell us above)")),
]
CATEGORY_LABELS = dict(CATEGORIES)
OUTCOME_LABELS = dict(OUTCOMES)


def _strip(value):
    return value.strip() if isinstance(value, str) else value


class ComplaintForm(FlaskForm):
    # CSRFProtect checks every POST already.
    class Meta:
        csrf = False

    # Photos are checked by portal/casework/photos.py, not WTForms; its message is kept here for the page.
    photos_error = None

    description = TextAreaField(_l("What happened?"), filters=[_strip], validators=[
        DataRequired(_l("Please tell us what happened.")),
        Length(min=MIN_DESCRIPTION, max=MAX_DESCRIPTION,
               message=_l("Please write between %(min)d and %(max)d characters.")),
    ])
    category = SelectField(_l("What is it about?"), choices=[("", _l("Choose one"))] + CATEGORIES,
                           validators=[InputRequired(_l("Please choose what it is about."))],
                           validate_choice=False)
    order = SelectField(_l("Which order?"), validate_choice=False)
    desired_outcome = SelectField(_l("What would put it right?"), choices=[("", _l("Choose one"))] + OUTCOMES,
                                  validate_choice=False)

    def error_summary(self):
        """{input id: message} of each field in error, in the page's order, for the summary above the form."""
        summary = {field.id: " ".join(str(error) for error in field.errors) for field in self if field.errors}
        if self.photos_error:
            summary["photos"] = self.photos_error
        return summary

    def validate_category(self, field):
        if field.data not in CATEGORY_LABELS:
            raise ValidationError(_l("Please choose what it is about from the list."))

    def validate_desired_outcome(self, field):
        if field.data not in OUTCOME_LABELS:
            raise ValidationError(_l("Please choose what would put it right from the list."))

    def validate_order(self, field):
        if field.data and field.data not in {value for value, _label in field.choices}:
            raise ValidationError(_l("We could not find that order among yours."))
