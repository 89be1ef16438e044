from flask_wtf import FlaskForm
from wtforms import EmailField, HiddenField
from wtforms.validators import DataRequired, Length, Regexp

from portal.i18n import lazy_gettext as _l

# Deliberately loose: the e-mail we send is the real check.
EMAIL_PATTERN = r"^[^@\s<>\"']+@[^@\s<>\"']+\.[^@\s<>\"']+$"


def _strip(value):
    return value.strip() if isinstance(value, str) else value


class SigninForm(FlaskForm):
    # CSRFProtect checks every POST already; the form only validates what the customer typed.
    class Meta:
        csrf = False

    email = EmailField(_l("E-mail address"), filters=[_strip], validators=[
        DataRequired(_l("Enter your e-mail address.")),
        Length(max=254, message=_l("An e-mail address has at most 254 characters.")),
        Regexp(EMAIL_PATTERN, message=_l("Enter an e-mail address like name@example.com.")),
    ])
    next = HiddenField()
