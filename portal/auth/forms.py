from flask_wtf import FlaskForm
from wtforms import EmailField, HiddenField
from wtforms.validators import DataRequired, Length, Regexp

from portal.i18n import lazy_gettext as _l

# The one pattern an address we will write to is checked with (customer sign-in, staff invitations and password
# resets). Loose about what a mailbox may be called (the e-mail we send is the real check), strict about what our
# mail can reach: portal/mail.py cannot address a mailbox that is not ASCII (no SMTPUTF8). So: a local part of
# letters, digits and !#$%&*+/=?^_`{|}~- in dot-separated runs, and a domain of two or more labels (letters,
# digits, inner hyphens), the last starting with a letter. `😀@example.com`, `a@b..com` and `a.@b.com` are
# refused; quotes, spaces and angle brackets never pass.
_ATOM = r"[A-Za-z0-9!#$%&*+/=?^_`{|}~-]+"
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
EMAIL_PATTERN = rf"^{_ATOM}(?:\.{_ATOM})*@(?:{_LABEL}\.)+[A-Za-z](?:[A-Za-z0-9-]*[A-Za-z0-9])?\Z"


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
