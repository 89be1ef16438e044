"""Staff sign-in: e-mail and password for agents and leads, beside (never mixed with) the customer session.

The session holds the staff id and the account's session version; signing out bumps the version on the
staff row, so a copied cookie is refused on its next request. Failed attempts are limited per account and
per IP (Flask-Limiter), which locks an account out for a while after repeated failures.
"""

import secrets
from datetime import UTC, datetime
from functools import cache, wraps

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_wtf import FlaskForm
from sqlalchemy import func, select, update
from wtforms import EmailField, HiddenField, PasswordField
from wtforms.validators import DataRequired, Length

from portal.auth.customers import current_customer, normalise_email
from portal.extensions import db, limiter
from portal.i18n import lazy_gettext as _l
from portal.models import Staff, utcnow
from portal.redirects import safe_next
from portal.web import rotate_session

bp = Blueprint("staff_auth", __name__)

STAFF_KEY = "staff_id"
VERSION_KEY = "staff_sv"
SIGNED_IN_KEY = "staff_at"


class StaffSigninForm(FlaskForm):
    # CSRFProtect checks every POST already; the form only validates what was typed.
    class Meta:
        csrf = False

    email = EmailField(_l("Work e-mail"), validators=[
        DataRequired(_l("Enter your work e-mail address.")),
        Length(max=254, message=_l("An e-mail address has at most 254 characters.")),
    ])
    password = PasswordField(_l("Password"), validators=[
        DataRequired(_l("Enter your password.")),
        Length(max=200, message=_l("A password has at most 200 characters.")),
    ])
    next = HiddenField()


@cache
def _dummy_hash():
    # Verified against when the address is unknown, so a wrong address costs as long as a wrong password.
    from argon2 import PasswordHasher

    return PasswordHasher().hash(secrets.token_hex(16))


def authenticate(email, password):
    """The active staff member with this e-mail and password, else None (in the same time either way)."""
    staff = db.session.scalar(select(Staff).where(func.lower(Staff.email) == normalise_email(email)))
    if staff is None or not staff.active:
        Staff(password_hash=_dummy_hash()).check_password(password or "")
        return None
    return staff if staff.check_password(password or "") else None


def current_staff():
    """The signed-in staff member, or None when the session is missing, revoked, expired or the account is off.

    Checked afresh on every call (the row comes from the session's identity map after the first), so a
    sign-out elsewhere takes effect on the very next request.
    """
    staff_id, version, signed_in_at = session.get(STAFF_KEY), session.get(VERSION_KEY), session.get(SIGNED_IN_KEY)
    if not isinstance(staff_id, int) or not isinstance(version, int) or not isinstance(signed_in_at, int | float):
        return None
    started = datetime.fromtimestamp(signed_in_at, tz=UTC)
    if utcnow() - started > current_app.config["STAFF_SESSION_LIFETIME"]:
        return None
    staff = db.session.get(Staff, staff_id)
    if staff is None or not staff.active or staff.session_version != version:
        return None
    return staff


def sign_in(staff):
    """A fresh session (rotated, so a planted cookie grants nothing) holding the staff id and version."""
    rotate_session()
    now = utcnow()
    session[STAFF_KEY] = staff.id
    session[VERSION_KEY] = staff.session_version
    session[SIGNED_IN_KEY] = now.timestamp()
    staff.last_signed_in_at = now


def sign_out(staff):
    """Revoke every copy of this staff member's session cookie, then clear ours."""
    if staff is not None:
        db.session.execute(update(Staff).where(Staff.id == staff.id)
                           .values(session_version=Staff.session_version + 1)
                           .execution_options(synchronize_session=False))
    rotate_session()


def staff_required(role="agent"):
    """Guard a staff view: anonymous visitors go to the staff sign-in, customers and the wrong role get 403."""

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            staff = current_staff()
            if staff is None:
                if current_customer() is not None:
                    abort(403)
                return redirect(url_for("staff_auth.signin", next=request.full_path.rstrip("?")))
            if not staff.can(role):
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator


def no_store(response):
    """Staff pages show personal data: never kept by the browser or a proxy."""
    response.headers["Cache-Control"] = "no-store"
    response.headers["Pragma"] = "no-cache"
    return response


bp.after_request(no_store)


@bp.app_context_processor
def staff_context():
    return {"current_staff": current_staff}


def _ip_key():
    return f"staff-signin-ip:{request.remote_addr or ''}"


def _account_key():
    return f"staff-signin-account:{normalise_email(request.form.get('email'))[:254]}"


def _failed(response):
    # Only failures count towards the lockout; a successful sign-in redirects.
    return response.status_code != 302


def _home_for(staff):
    return url_for("lead.dashboard") if staff.role == "lead" else url_for("agent.queue")


@bp.route("/staff/signin", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["STAFF_SIGNIN_LIMIT_PER_IP"], key_func=_ip_key, methods=["POST"],
               deduct_when=_failed)
@limiter.limit(lambda: current_app.config["STAFF_SIGNIN_LIMIT_PER_ACCOUNT"], key_func=_account_key,
               methods=["POST"], deduct_when=_failed)
def signin():
    """Agents and leads sign in with their work e-mail and password."""
    form = StaffSigninForm()
    if request.method == "GET":
        form.next.data = safe_next(request.args.get("next"), "")
    error = None
    if form.validate_on_submit():
        staff = authenticate(form.email.data, form.password.data)
        if staff is not None:
            sign_in(staff)
            db.session.commit()
            return redirect(safe_next(form.next.data, _home_for(staff)))
        error = _("That e-mail address and password do not match an active staff account.")
    status = 400 if request.method == "POST" else 200
    return render_template("auth/staff_signin.html", form=form, error=error), status


@bp.post("/staff/signout")
def signout():
    """End the staff session here and everywhere its cookie was copied to."""
    sign_out(current_staff())
    db.session.commit()
    flash(_("You are signed out."), "success")
    return redirect(url_for("staff_auth.signin"))
