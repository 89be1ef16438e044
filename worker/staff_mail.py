"""E-mails to staff about their own account: invitations, password-reset links, strangers' sign-in attempts."""

from flask import current_app

from portal.auth.staff import link_token
from portal.extensions import db
from portal.i18n import force_locale
from portal.i18n import gettext as _
from portal.models import Staff
from portal.web import external_url
from worker.notifications import send_to_staff


def _hours(lifetime):
    return max(1, int(lifetime.total_seconds() // 3600))


def send_invite(staff_id):
    """Mail the link with which an invited staff member sets their password (works until they have)."""
    staff = db.session.get(Staff, staff_id)
    if staff is None or not staff.active or not staff.invited:
        return "not invited"
    with force_locale("en"):
        return send_to_staff([staff], _("You are invited to the support desk"), "staff_invite",
                             link=external_url("staff_auth.join", token=link_token(staff, "invite")),
                             hours=_hours(current_app.config["STAFF_INVITE_LIFETIME"]))


def send_password_reset(staff_id):
    """Mail a single-use link to set a new password."""
    staff = db.session.get(Staff, staff_id)
    if staff is None or not staff.active:
        return "no recipient"
    with force_locale("en"):
        return send_to_staff([staff], _("Set a new password for the support desk"), "staff_reset",
                             link=external_url("staff_auth.set_password", token=link_token(staff, "reset")),
                             minutes=int(current_app.config["STAFF_RESET_LIFETIME"].total_seconds() // 60))


def send_signin_alert(staff_id):
    """Tell the owner that wrong passwords are being tried from elsewhere; their own browser is not slowed."""
    staff = db.session.get(Staff, staff_id)
    if staff is None or not staff.active:
        return "no recipient"
    with force_locale("en"):
        return send_to_staff([staff], _("Failed sign-ins to your support desk account"), "staff_signin_alert",
                             link=external_url("staff_auth.reset_request"))
