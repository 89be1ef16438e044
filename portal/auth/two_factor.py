"""Two-factor staff sign-in: a TOTP code from an authenticator app after the password, or a recovery code.

Enrolment shows a QR code drawn on the server (segno, inline SVG: nothing leaves the portal) and keeps the new
secret in the session until a first code proves the app has it. Each code works once (the last accepted time
step is kept, and moved on with one conditional UPDATE); recovery codes are shown once and stored as SHA-256.
Admins must use it; a setting extends that to everyone.
"""

import hashlib
import re
import secrets
import time

import pyotp
import segno
from flask import current_app, flash, redirect, render_template, request, session, url_for
from sqlalchemy import or_, update

from portal import settings
from portal.auth.staff import audit_signin, bp, current_staff, home_for, set_device_cookie, sign_in
from portal.extensions import db
from portal.i18n import gettext as _
from portal.models import AuditEntry, Staff
from portal.redirects import safe_next

PENDING_KEY = "staff_2fa"
ENROL_KEY = "staff_totp_pending"
PENDING_SECONDS = 300
MAX_TRIES = 5
RECOVERY_CODES = 10
# 50 random bits a code: each works once, and only after the password, five tries at a time.
RECOVERY_ALPHABET = "abcdefghijklmnopqrstuvwxyz234567"
_RECOVERY_PATTERN = re.compile(r"^[a-z2-7]{5}-?[a-z2-7]{5}$")
_TOTP_PATTERN = re.compile(r"^[0-9]{6}$")


def required(staff):
    """Must this account sign in with a second factor?"""
    return staff.can("admin") or settings.current_values()["two_factor_required"] == "everyone"


def _recovery_hash(code):
    return hashlib.sha256(code.replace("-", "").lower().encode()).hexdigest()


def new_recovery_codes(staff):
    """Replace the account's recovery codes; the plain codes are returned once, for the page that shows them."""
    codes = ["".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(10)) for _ in range(RECOVERY_CODES)]
    codes = [f"{code[:5]}-{code[5:]}" for code in codes]
    staff.recovery_code_hashes = [_recovery_hash(code) for code in codes]
    return codes


def use_code(staff, code, now=None):
    """Accept a current TOTP code not used before, or an unused recovery code (then spent); 'totp',
    'recovery' or None."""
    code = (code or "").strip().replace(" ", "").lower()
    if _TOTP_PATTERN.match(code):
        now = time.time() if now is None else now
        totp = pyotp.TOTP(staff.totp_secret)
        for step in (int(now // 30) + offset for offset in (0, -1, 1)):
            if secrets.compare_digest(totp.at(step * 30), code) and _claim_step(staff, step):
                return "totp"
        return None
    if _RECOVERY_PATTERN.match(code):
        digest = _recovery_hash(code)
        if digest in (staff.recovery_code_hashes or []):
            staff.recovery_code_hashes = [h for h in staff.recovery_code_hashes if h != digest]
            return "recovery"
    return None


def _claim_step(staff, step):
    # Two requests with the same code: the UPDATE lets one through.
    claimed = db.session.execute(
        update(Staff).where(Staff.id == staff.id, or_(Staff.totp_last_step.is_(None), Staff.totp_last_step < step))
        .values(totp_last_step=step).execution_options(synchronize_session=False)).rowcount
    return claimed == 1


def start_pending(staff, next_path):
    """Remember, for a few minutes, that this browser gave the right password and owes a code."""
    session[PENDING_KEY] = {"id": staff.id, "sv": staff.session_version, "at": time.time(), "next": next_path,
                            "tries": 0}


def _pending_staff():
    pending = session.get(PENDING_KEY)
    if not isinstance(pending, dict) or time.time() - pending.get("at", 0) > PENDING_SECONDS:
        return None, None
    staff = db.session.get(Staff, pending.get("id")) if isinstance(pending.get("id"), int) else None
    if staff is None or not staff.active or staff.session_version != pending.get("sv") or not staff.totp_secret:
        return None, None
    return staff, pending


@bp.route("/staff/signin/code", methods=["GET", "POST"])
def signin_code():
    """The second step of a staff sign-in: a code from the authenticator app, or a recovery code."""
    staff, pending = _pending_staff()
    if staff is None:
        session.pop(PENDING_KEY, None)
        flash(_("Sign in with your password first."), "warning")
        return redirect(url_for("staff_auth.signin"))
    error = None
    if request.method == "POST":
        kind = use_code(staff, request.form.get("code", "")[:40])
        if kind is not None:
            audit_signin("staff.signin", staff, request.remote_addr, two_factor=kind)
            sign_in(staff)
            db.session.commit()
            response = redirect(safe_next(pending.get("next"), home_for(staff)))
            set_device_cookie(response, staff)
            return response
        audit_signin("staff.2fa_failed", staff, request.remote_addr)
        pending["tries"] += 1
        if pending["tries"] >= MAX_TRIES:
            session.pop(PENDING_KEY, None)
            db.session.commit()
            flash(_("Too many wrong codes. Sign in again."), "warning")
            return redirect(url_for("staff_auth.signin"))
        session[PENDING_KEY] = pending
        db.session.commit()
        error = _("That code is not right, or was used already. Type the newest code from your app.")
    return render_template("auth/staff_code.html", error=error), 400 if error else 200


@bp.route("/staff/two-factor", methods=["GET", "POST"])
def two_factor_setup():
    """Turn on two-factor sign-in: scan the QR code, then confirm with a first code."""
    staff = current_staff()
    if staff is None:
        return redirect(url_for("staff_auth.signin", next=url_for("staff_auth.two_factor_setup")))
    if staff.totp_secret:
        return render_template("auth/staff_two_factor.html", enrolled=True, required=required(staff))
    secret = session.get(ENROL_KEY)
    if not isinstance(secret, str) or not re.fullmatch(r"[A-Z2-7]{32}", secret):
        secret = session[ENROL_KEY] = pyotp.random_base32(32)
    error = None
    if request.method == "POST":
        code = (request.form.get("code") or "").strip().replace(" ", "")[:40]
        if _TOTP_PATTERN.match(code) and pyotp.TOTP(secret).verify(code, valid_window=1):
            staff.totp_secret = secret
            staff.totp_last_step = int(time.time() // 30)
            codes = new_recovery_codes(staff)
            db.session.add(AuditEntry(actor_type="staff", actor_id=staff.id, action="staff.2fa_enabled",
                                      target_type="staff", target_id=staff.id, detail={}))
            db.session.commit()
            session.pop(ENROL_KEY, None)
            return render_template("auth/staff_recovery_codes.html", codes=codes)
        error = _("That code is not right. Type the 6 digits your app shows now.")
    uri = pyotp.TOTP(secret).provisioning_uri(name=staff.email, issuer_name=current_app.config["TOTP_ISSUER"])
    qr_svg = segno.make(uri, error="m").svg_inline(scale=4, dark="#111827", light="#ffffff")
    return render_template("auth/staff_two_factor.html", enrolled=False, required=required(staff), qr_svg=qr_svg,
                           secret=secret, error=error), 400 if error else 200


def enrolment_needed(staff):
    """The page to send a signed-in staff member to before anything else, or None."""
    if staff.totp_secret or not required(staff):
        return None
    return url_for("staff_auth.two_factor_setup")

