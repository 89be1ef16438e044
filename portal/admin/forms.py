"""What an admin types: an invitation, a role, a shop endpoint."""

import re
from urllib.parse import urlsplit

from flask import current_app
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, SelectField, SelectMultipleField, StringField
from wtforms.validators import DataRequired, Length, Regexp, ValidationError

from portal.admin.endpoints import EVENT_LABELS
from portal.auth.forms import EMAIL_PATTERN
from portal.i18n import gettext as _
from portal.i18n import lazy_gettext as _l
from portal.models.staff import ROLES
from portal.shop_events import EndpointAddressRefused, check_endpoint_address

ROLE_LABELS = {"agent": _l("Agent"), "lead": _l("Support lead"), "admin": _l("Admin")}


def error_summary(form, prefix, ids=None):
    """{input id: first message} of a refused form, for the summary above it (templates/_form_errors.html). The
    inputs' ids are `<prefix>-<field name>`, or `<prefix>-<ids[field name]>`."""
    ids = ids or {}
    return {f"{prefix}-{ids.get(name, name)}": messages[0] for name, messages in form.errors.items()
            if name and messages}


def _role_choices():
    return [(role, ROLE_LABELS[role]) for role in ROLES]


class InviteForm(FlaskForm):
    # CSRFProtect checks every POST already; the form only validates what was typed.
    class Meta:
        csrf = False

    email = EmailField(_l("Work e-mail"), filters=[lambda value: (value or "").strip()], validators=[
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


def _reachable_from_outside(form, field):
    """Where the worker will send: a host that resolves, to public addresses only (loopback and private ones
    too when SHOP_HOOK_ALLOW_PRIVATE_ADDRESSES is set, never link-local or multicast). The same check the worker
    makes before each attempt, so an address it would refuse is not saved. A switched-off endpoint saved at the
    address it already has is not checked: it sends nothing, and an admin must be able to switch off one saved
    before this check."""
    if field.errors:
        return
    if form.current_url is not None and field.data == form.current_url and not form.active.data:
        return
    try:
        check_endpoint_address(field.data, allow_private=current_app.config["SHOP_HOOK_ALLOW_PRIVATE"])
    except EndpointAddressRefused as refused:
        if refused.reason == "internal":
            raise ValidationError(_(
                "This address leads into a private or local network (%(address)s), not to the internet. "
                "Webhooks go only to public addresses: enter the shop's address on the internet.",
                address=str(refused.address))) from refused
        raise ValidationError(_(
            "No server was found for %(host)s. Check the address for typing errors: the shop must be reachable "
            "on the internet.", host=refused.host)) from refused


class EndpointForm(FlaskForm):
    class Meta:
        csrf = False

    # The address the endpoint has now, when an existing one is changed (set by the view before validating).
    current_url = None

    url = StringField(_l("Address (URL)"), filters=[lambda value: (value or "").strip()], validators=[
        DataRequired(_l("Enter the address the shop listens on.")),
        Length(max=2000, message=_l("An address has at most 2000 characters.")),
        _web_address,
        _reachable_from_outside,
    ])
    description = StringField(_l("Description"), filters=[lambda value: " ".join((value or "").split())],
                              validators=[Length(max=200, message=_l("A description has at most 200 characters."))])
    event_types = SelectMultipleField(_l("Events it receives"), choices=lambda: list(EVENT_LABELS.items()),
                                      validate_choice=True,
                                      validators=[DataRequired(_l("Choose at least one event."))])
    active = BooleanField(_l("Switched on"))
