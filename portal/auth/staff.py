"""Staff sign-in: e-mail and password for agents, leads and admins, beside (never mixed with) the customer session.

The session holds the staff id, the account's session version and the id of a server-side session row
(portal.models.StaffSession). A row that was ended (signed out, ended from "Your sessions") or not seen for the
idle limit signs nobody in, so a copied cookie is refused on its next request; bumping the version on the staff
row (deactivation, a new password, "sign out everywhere else") ends every session of the account at once. Failures
slow further attempts down with growing delays per account and per source, never for the owner's own device
(portal/auth/throttle.py); every attempt that reaches the password check is audited, and the owner is told by e-mail
when strangers start guessing. Invitations and password resets are signed links that stop working once a password is
set with them.
"""

import hashlib
import secrets
import time
from datetime import UTC, datetime, timedelta
from functools import cache, wraps
from urllib.parse import urlsplit

import ua_parser
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
from flask_wtf import FlaskForm
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import func, select, update
from sqlalchemy.orm.attributes import set_committed_value
from wtforms import EmailField, HiddenField, PasswordField
from wtforms.validators import DataRequired, EqualTo, Length, Regexp

from portal import jobs, settings
from portal.auth import throttle
from portal.auth.customers import current_customer, normalise_email
from portal.auth.forms import EMAIL_PATTERN
from portal.extensions import db, limiter
from portal.formatting import format_timedelta
from portal.i18n import gettext as _
from portal.i18n import lazy_gettext as _l
from portal.models import AuditEntry, Staff, StaffSession, utcnow
from portal.redirects import safe_next
from portal.web import no_store, rotate_session

bp = Blueprint("staff_auth", __name__)

STAFF_KEY = "staff_id"
VERSION_KEY = "staff_sv"
SIGNED_IN_KEY = "staff_at"
RECORD_KEY = "staff_session"
# How stale a session's last-seen time may get before a page rewrites it: one write a minute, not one a page.
SEEN_PRECISION_SECONDS = 60
# htmx elements that poll by themselves (the agents' queue, colleagues on a case): their requests are no person
# at work, so they never keep a session from going idle.
AUTOMATIC_REFRESHES = frozenset({"queue", "presence"})


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


def find_staff(email):
    return db.session.scalar(select(Staff).where(func.lower(Staff.email) == normalise_email(email)))


def _password_matches(staff, password):
    # A missing or inactive account still costs one hash check, so a wrong address takes as long as a wrong
    # password.
    if staff is None or not staff.active or staff.invited:
        Staff(password_hash=_dummy_hash()).check_password(password or "")
        return False
    return staff.check_password(password or "")


def audit_signin(action, staff, source, **detail):
    """One audit row per sign-in attempt that reached the password check; an unknown address is not stored
    (people type passwords into the address field)."""
    db.session.add(AuditEntry(actor_type="staff" if staff is not None else "visitor",
                              actor_id=staff.id if staff is not None else None, action=action,
                              target_type="staff", target_id=staff.id if staff is not None else None,
                              detail={"source": (source or "")[:64], **detail}))


class SigninOutcome:
    """What one attempt came to: `staff` when it succeeded, `wait` (seconds) when it was refused unchecked."""

    def __init__(self, staff=None, wait=0):
        self.staff, self.wait = staff, wait


def attempt_sign_in(email, password, source, device_cookie):
    """Check a password under the growing delays; audit the attempt and warn the owner of strangers' guessing.

    Changes the database (audit rows, the owner's alert) but not the session: the caller signs in.
    """
    email = normalise_email(email)
    staff = find_staff(email)
    device = throttle.trusted_device(device_cookie, staff)
    attempt_buckets = throttle.buckets(email, source, device)
    wait = throttle.wait_seconds(attempt_buckets)
    if wait:
        return SigninOutcome(wait=wait)
    if _password_matches(staff, password):
        throttle.clear(attempt_buckets)
        audit_signin("staff.password_ok" if staff.totp_secret else "staff.signin", staff, source,
                     trusted_device=device is not None)
        return SigninOutcome(staff=staff)
    failures = throttle.record_failure(attempt_buckets)
    audit_signin("staff.signin_failed", staff, source, trusted_device=device is not None)
    if (device is None and staff is not None and staff.active and not staff.invited
            and failures == current_app.config["STAFF_SIGNIN_FREE_FAILURES"] + 1):
        # Once per run of failures (when the delays begin), and at most once an hour.
        hour = int(time.time() // 3600)
        jobs.schedule("mail.staff_signin_alert", staff.id, key=f"staff-signin-alert:{staff.id}:{hour}")
    return SigninOutcome()


def current_staff():
    """The signed-in staff member, or None when the session is missing, revoked, ended, idle, expired or the
    account is off.

    Checked afresh on every call (the rows come from the session's identity map after the first), so a
    sign-out elsewhere takes effect on the very next request.
    """
    staff_id, version, signed_in_at = session.get(STAFF_KEY), session.get(VERSION_KEY), session.get(SIGNED_IN_KEY)
    record_id = session.get(RECORD_KEY)
    if not isinstance(staff_id, int) or not isinstance(version, int) or not isinstance(signed_in_at, int | float) \
            or not isinstance(record_id, int):
        return None
    started = datetime.fromtimestamp(signed_in_at, tz=UTC)
    if utcnow() - started > current_app.config["STAFF_SESSION_LIFETIME"]:
        return None
    staff = db.session.get(Staff, staff_id)
    if staff is None or not staff.active or staff.session_version != version:
        return None
    record = db.session.get(StaffSession, record_id)
    if record is None or record.staff_id != staff.id or record.ended_at is not None or idle(record):
        return None
    if not automatic_refresh():
        _mark_seen(record)
    return staff


def automatic_refresh():
    """Whether this request is a page element refreshing itself, not a person doing something."""
    return request.headers.get("HX-Request") == "true" and request.headers.get("HX-Trigger") in AUTOMATIC_REFRESHES


def idle_limit():
    """How long a staff session lasts without a page (a setting)."""
    return timedelta(minutes=settings.current_values()["staff_idle_minutes"])


def idle(record, now=None):
    return (now or utcnow()) - record.last_seen_at > idle_limit()


def _mark_seen(record):
    now = utcnow()
    if (now - record.last_seen_at).total_seconds() < SEEN_PRECISION_SECONDS:
        return
    # In its own short transaction: a page that only reads commits nothing, and one that fails rolls back
    # its own work, yet the visit still counts.
    with db.engine.begin() as connection:
        connection.execute(update(StaffSession).where(StaffSession.id == record.id).values(last_seen_at=now))
    set_committed_value(record, "last_seen_at", now)


def current_session_id():
    """The id of this browser's StaffSession row, or None."""
    record_id = session.get(RECORD_KEY)
    return record_id if isinstance(record_id, int) else None


def _describe_browser(user_agent):
    # Parsed once, at sign-in; the raw header is not kept.
    parsed = ua_parser.parse((user_agent or "")[:512])
    browser = system = ""
    if parsed.user_agent is not None and parsed.user_agent.family != "Other":
        browser = " ".join(part for part in (parsed.user_agent.family, parsed.user_agent.major) if part)
    if parsed.os is not None and parsed.os.family != "Other":
        system = parsed.os.family
    return browser[:60], system[:60]


def sign_in(staff):
    """A fresh session (rotated, so a planted cookie grants nothing) holding the staff id, version and a new
    session row describing this browser; this browser's previous row, if any, ends."""
    previous = current_session_id()
    if previous is not None:
        db.session.execute(update(StaffSession).where(StaffSession.id == previous, StaffSession.ended_at.is_(None))
                           .values(ended_at=utcnow(), end_reason="signed_in_again")
                           .execution_options(synchronize_session=False))
    rotate_session()
    now = utcnow()
    browser, system = _describe_browser(request.headers.get("User-Agent"))
    record = StaffSession(staff_id=staff.id, browser=browser, system=system,
                          ip_address=(request.remote_addr or "")[:64], signed_in_at=now, last_seen_at=now,
                          end_reason="")
    db.session.add(record)
    db.session.flush()
    session[STAFF_KEY] = staff.id
    session[VERSION_KEY] = staff.session_version
    session[SIGNED_IN_KEY] = now.timestamp()
    session[RECORD_KEY] = record.id
    staff.last_signed_in_at = now


def end_sessions(staff, reason, keep=None):
    """End every open session row of the account except `keep`'s id; the ended rows."""
    records = db.session.scalars(select(StaffSession).where(StaffSession.staff_id == staff.id,
                                                            StaffSession.ended_at.is_(None),
                                                            StaffSession.id != (keep or 0))).all()
    now = utcnow()
    for record in records:
        record.ended_at, record.end_reason = now, reason
    return records


def sign_out(staff):
    """End this browser's session row (every copy of its cookie with it), then clear ours."""
    record_id = current_session_id()
    if staff is not None and record_id is not None:
        db.session.execute(update(StaffSession)
                           .where(StaffSession.id == record_id, StaffSession.staff_id == staff.id,
                                  StaffSession.ended_at.is_(None))
                           .values(ended_at=utcnow(), end_reason="signed_out")
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
                return _to_signin()
            if not staff.can(role):
                abort(403)
            enrol = two_factor.enrolment_needed(staff)
            if enrol is not None:
                return redirect(enrol)
            return view(*args, **kwargs)

        return wrapped

    return decorator


def _to_signin():
    if request.headers.get("HX-Request") != "true":
        return redirect(url_for("staff_auth.signin", next=request.full_path.rstrip("?")))
    # An htmx request (a refreshing queue, say) would follow a redirect inside its swap: the whole page goes to
    # the sign-in instead, and back to the page it was on afterwards. htmx reads HX-Redirect whatever the status;
    # 401 says "not signed in" to anything else.
    shown = urlsplit(request.headers.get("HX-Current-URL", ""))
    back = safe_next(f"{shown.path}?{shown.query}".rstrip("?"), "")
    response = current_app.make_response(("", 401))
    response.headers["HX-Redirect"] = url_for("staff_auth.signin", next=back) if back else \
        url_for("staff_auth.signin")
    return response


bp.after_request(no_store)  # staff pages show personal data


@bp.app_context_processor
def staff_context():
    return {"current_staff": current_staff}


def home_for(staff):
    if staff.can("admin"):
        return url_for("admin.staff_list")
    return url_for("lead.dashboard") if staff.can("lead") else url_for("agent.queue")


def set_device_cookie(response, staff):
    """Mark this browser as the owner's own after a good sign-in (portal/auth/throttle.py)."""
    response.set_cookie(throttle.DEVICE_COOKIE, throttle.new_device_cookie(staff),
                        max_age=int(current_app.config["STAFF_DEVICE_LIFETIME"].total_seconds()),
                        path=url_for("staff_auth.signin"), httponly=True, samesite="Lax",
                        secure=current_app.config["SESSION_COOKIE_SECURE"])


def _too_many(form, wait):
    error = _("Too many failed sign-ins. Try again in %(time)s.",
              time=format_timedelta(max(wait, 1), threshold=1, granularity="second"))
    response = current_app.make_response((render_template("auth/staff_signin.html", form=form, error=error), 429))
    response.headers["Retry-After"] = str(wait)
    return response


@bp.route("/staff/signin", methods=["GET", "POST"])
def signin():
    """Agents, leads and admins sign in with their work e-mail and password."""
    form = StaffSigninForm()
    if request.method == "GET":
        form.next.data = safe_next(request.args.get("next"), "")
    error = None
    if form.validate_on_submit():
        outcome = attempt_sign_in(form.email.data, form.password.data, request.remote_addr,
                                  request.cookies.get(throttle.DEVICE_COOKIE))
        if outcome.wait:
            return _too_many(form, outcome.wait)
        if outcome.staff is not None and outcome.staff.totp_secret:
            rotate_session()
            two_factor.start_pending(outcome.staff, safe_next(form.next.data, ""))
            db.session.commit()
            return redirect(url_for("staff_auth.signin_code"))
        if outcome.staff is not None:
            sign_in(outcome.staff)
            db.session.commit()
            response = redirect(safe_next(form.next.data, home_for(outcome.staff)))
            set_device_cookie(response, outcome.staff)
            return response
        db.session.commit()
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


# ---- Invitations and password resets ----------------------------------------------------------------------------

LINK_PURPOSES = ("invite", "reset")


class StaffLinkRefused(Exception):
    """The link cannot be used; `reason` is 'unknown', 'used' or 'expired'."""

    def __init__(self, reason):
        super().__init__(reason)
        self.reason = reason


def _link_serializer(purpose):
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=f"staff-{purpose}")


def _password_fingerprint(staff):
    # Part of the signed link: setting a password changes it, so each link works once.
    return hashlib.sha256(f"{staff.password_hash}:{staff.session_version}".encode()).hexdigest()[:16]


def link_token(staff, purpose):
    """The signed token of an invitation or reset link for this staff member."""
    if purpose not in LINK_PURPOSES:
        raise ValueError(purpose)
    return _link_serializer(purpose).dumps({"staff": staff.id, "fp": _password_fingerprint(staff)})


def staff_for_link(token, purpose):
    """The active staff member a link is for, else StaffLinkRefused; changes nothing."""
    lifetime = current_app.config["STAFF_INVITE_LIFETIME" if purpose == "invite" else "STAFF_RESET_LIFETIME"]
    if not token or len(token) > 300:
        raise StaffLinkRefused("unknown")
    try:
        value = _link_serializer(purpose).loads(token, max_age=lifetime.total_seconds())
    except SignatureExpired:
        raise StaffLinkRefused("expired") from None
    except BadSignature:
        raise StaffLinkRefused("unknown") from None
    staff = db.session.get(Staff, value.get("staff")) if isinstance(value, dict) and \
        isinstance(value.get("staff"), int) else None
    if staff is None or not staff.active:
        raise StaffLinkRefused("unknown")
    if value.get("fp") != _password_fingerprint(staff):
        raise StaffLinkRefused("used")
    return staff


def set_password_by_link(staff, password, purpose):
    """Set the password, end every session the account had and audit it; the link is spent with the old hash."""
    staff.set_password(password)
    staff.session_version += 1
    end_sessions(staff, "password_set")
    db.session.add(AuditEntry(actor_type="staff", actor_id=staff.id,
                              action="staff.joined" if purpose == "invite" else "staff.password_reset",
                              target_type="staff", target_id=staff.id, detail={}))


def request_password_reset(email):
    """Schedule a reset link when the address is an active account; the caller answers the same either way."""
    staff = find_staff(email)
    if staff is None or not staff.active:
        return False
    # One link per account per five minutes, however often the form is sent.
    return jobs.schedule("mail.staff_reset", staff.id, key=f"staff-reset:{staff.id}:{int(time.time() // 300)}")


class PasswordResetRequestForm(FlaskForm):
    class Meta:
        csrf = False

    email = EmailField(_l("Work e-mail"), validators=[
        DataRequired(_l("Enter your work e-mail address.")),
        Length(max=254, message=_l("An e-mail address has at most 254 characters.")),
        Regexp(EMAIL_PATTERN, message=_l("Enter an e-mail address like name@example.com.")),
    ])


class NewPasswordForm(FlaskForm):
    class Meta:
        csrf = False

    password = PasswordField(_l("New password"), validators=[
        DataRequired(_l("Choose a password.")),
        Length(min=12, max=200, message=_l("A password has 12 to 200 characters.")),
    ])
    confirm = PasswordField(_l("New password again"), validators=[
        DataRequired(_l("Type the password again.")),
        EqualTo("password", message=_l("The two passwords differ.")),
    ])


def _reset_ip_key():
    return f"staff-reset-ip:{request.remote_addr or ''}"


@bp.route("/staff/reset", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["SIGNIN_LIMIT_PER_IP"], key_func=_reset_ip_key, methods=["POST"])
def reset_request():
    """Ask for a password-reset link; the answer is the same whether or not the address has an account."""
    form = PasswordResetRequestForm()
    if form.validate_on_submit():
        request_password_reset(form.email.data)
        db.session.commit()
        return render_template("auth/staff_reset_sent.html")
    status = 400 if request.method == "POST" else 200
    return render_template("auth/staff_reset.html", form=form), status


_LINK_REFUSALS = {
    "unknown": _l("This link is not valid. Ask for a new one."),
    "used": _l("This link was already used. Ask for a new one if you need to set your password again."),
    "expired": _l("This link has expired. Ask for a new one."),
}


def _set_password_page(token, purpose):
    try:
        staff = staff_for_link(token, purpose)
    except StaffLinkRefused as refused:
        return render_template("auth/staff_link_refused.html", message=_LINK_REFUSALS[refused.reason]), \
            404 if refused.reason == "unknown" else 410
    form = NewPasswordForm()
    if form.validate_on_submit():
        set_password_by_link(staff, form.password.data, purpose)
        db.session.commit()
        flash(_("Your password is set. Sign in with it now."), "success")
        return redirect(url_for("staff_auth.signin"))
    status = 400 if request.method == "POST" else 200
    return render_template("auth/staff_set_password.html", form=form, staff=staff, purpose=purpose), status


@bp.route("/staff/join/<token>", methods=["GET", "POST"])
def join(token):
    """An invited staff member chooses their password (the link works once, for a few days)."""
    return _set_password_page(token, "invite")


@bp.route("/staff/password/<token>", methods=["GET", "POST"])
def set_password(token):
    """A staff member sets a new password from the link they asked for (once, for a short while)."""
    return _set_password_page(token, "reset")


from portal.auth import sessions, two_factor  # noqa: E402, F401 - register their pages on bp
