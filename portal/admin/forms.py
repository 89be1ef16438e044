"""What an admin types: an invitation and a role."""

from flask_wtf import FlaskForm
from wtforms import EmailField, SelectField, StringField
from wtforms.validators import DataRequired, Length, Regexp

from portal.auth.forms import EMAIL_PATTERN
from portal.i18n import lazy_gettext as _l
from portal.models.staff import ROLES

ROLE_LABELS = {"agent": _l("Agent"), "lead": _l("Support lead"), "admin": _l("Admin")}


def _role_choices():
    return [(role, ROLE_LABELS[role]) for role in ROLES]


class InviteForm(FlaskForm):
    # CSRFProtect checks every POST already; the form only validates what was typed.
    class Meta:
        csrf = False

    email = EmailField(_l("Work e-mail"), validators=[
        DataRequired(_l("Enter their work e-mail address.")),
        Length(max=254, message=_l("An e-mail address has at most 254 characters.")),
        Regexp(EMAIL_PATTERN, message=_l("Enter an e-mail address like name@example.com.")),
    ])
    name = StringField(_l("Name"), validators=[Length(max=120, message=_l("A name has at most 120 characters."))])
    role = SelectField(_l("Role"), choices=_role_choices, validate_choice=True,
                       validators=[DataRequired(_l("Choose a role."))])


class RoleForm(FlaskForm):
    class Meta:
        csrf = False

    role = SelectField(_l("Role"), choices=_role_choices, validate_choice=True,
                       validators=[DataRequired(_l("Choose a role."))])
