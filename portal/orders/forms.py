from flask_wtf import FlaskForm
from wtforms import EmailField, StringField
from wtforms.validators import DataRequired, Length

from portal.i18n import lazy_gettext as _l


def _strip(value):
    return value.strip() if isinstance(value, str) else value


class LookupForm(FlaskForm):
    # CSRFProtect checks every POST already.
    class Meta:
        csrf = False

    number = StringField(_l("Order number"), filters=[_strip], validators=[
        DataRequired(_l("Enter your order number.")),
        Length(max=40, message=_l("An order number has at most 40 characters.")),
    ])
    email = EmailField(_l("E-mail address used for the order"), filters=[_strip], validators=[
        DataRequired(_l("Enter the e-mail address you ordered with.")),
        Length(max=254, message=_l("An e-mail address has at most 254 characters.")),
    ])
