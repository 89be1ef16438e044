"""What an admin types: an invitation, a role, a shop endpoint."""

import re
from urllib.parse import urlsplit

from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, SelectField, SelectMultipleField, StringField
from wtforms.validators import DataRequired, Length, Regexp, ValidationError

from portal.admin.endpoints import EVENT_LABELS
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


# A host name or an IP address (IPv6 without its brackets, as urlsplit gives it).
HOST_PATTERN = re.compile(r"[A-Za-z0-9.\-]+|[0-9A-Fa-f:.]+")


def _web_address(form, field):
    """An http(s) address with a host, no credentials and no spaces: where the shop listens."""
    try:
        parts = urlsplit(field.data or "")
        parts.port  # noqa: B018 - raises ValueError on a port that is not a number in range
    except ValueError:
        parts = None
    if (parts is None or parts.scheme not in ("http", "https") or not HOST_PATTERN.fullmatch(parts.hostname or "")
            or parts.username or parts.password or any(c.isspace() for c in field.data)):
        raise ValidationError(_l("Enter the address the shop listens on, like https://shop.example.com/hooks."))


class EndpointForm(FlaskForm):
    class Meta:
        csrf = False

    url = StringField(_l("Address (URL)"), filters=[lambda value: (value or "").strip()], validators=[
        DataRequired(_l("Enter the address the shop listens on.")),
        Length(max=2000, message=_l("An address has at most 2000 characters.")),
        _web_address,
    ])
    description = StringField(_l("Description"), filters=[lambda value: " ".join((value or "").split())],
                              validators=[Length(max=200, message=_l("A description has at most 200 characters."))])
    event_types = SelectMultipleField(_l("Events it receives"), choices=lambda: list(EVENT_LABELS.items()),
                                      validate_choice=True,
                                      validators=[DataRequired(_l("Choose at least one event."))])
    active = BooleanField(_l("Switched on"))
