"""'Your sessions': every staff member sees the browsers signed in to their account and can end one of them, or
all but this one (a lost laptop, a shared computer left signed in). Each ending is audited."""

from flask import abort, current_app, flash, redirect, render_template, session, url_for
from sqlalchemy import select

from portal import settings
from portal.auth.staff import (
    RECORD_KEY,
    VERSION_KEY,
    bp,
    current_session_id,
    current_staff,
    end_sessions,
    idle,
    staff_required,
)
from portal.extensions import db
from portal.i18n import gettext as _
from portal.i18n import ngettext
from portal.models import AuditEntry, StaffSession, utcnow


def open_sessions(staff):
    """The account's sessions that still sign someone in, most recently seen first."""
    now = utcnow()
    started_after = now - current_app.config["STAFF_SESSION_LIFETIME"]
    records = db.session.scalars(select(StaffSession).where(StaffSession.staff_id == staff.id,
                                                            StaffSession.ended_at.is_(None),
                                                            StaffSession.signed_in_at > started_after)
                                 .order_by(StaffSession.last_seen_at.desc(), StaffSession.id.desc())).all()
    return [record for record in records if not idle(record, now)]


def _audit(staff, action, **detail):
    db.session.add(AuditEntry(actor_type="staff", actor_id=staff.id, action=action, target_type="staff",
                              target_id=staff.id, detail=detail))


def end_one(staff, record_id, current_id):
    """End one other session of this account; None when there is no such open session (or it is this one)."""
    record = db.session.get(StaffSession, record_id)
    if record is None or record.staff_id != staff.id or record.ended_at is not None or record.id == current_id:
        return None
    record.ended_at, record.end_reason = utcnow(), "ended_by_owner"
    _audit(staff, "staff.session_ended", session=record.id, browser=record.browser, system=record.system,
           ip=record.ip_address)
    return record


def end_others(staff, current_id):
    """End every session of the account but this one: the session version moves on (as for a deactivated
    account, so nothing signed in elsewhere survives, half-finished two-factor sign-ins included) and the
    rows are closed; the caller carries this browser over to the new version."""
    staff.session_version += 1
    ended = end_sessions(staff, "ended_by_owner", keep=current_id)
    _audit(staff, "staff.sessions_ended", count=len(ended))
    return ended


@bp.get("/staff/sessions")
@staff_required("agent")
def sessions_page():
    """The browsers signed in to my account, this one marked."""
    return render_template("auth/staff_sessions.html", records=open_sessions(current_staff()),
                           current_id=current_session_id(),
                           idle_minutes=settings.current_values()["staff_idle_minutes"])


@bp.post("/staff/sessions/<int:session_id>/end")
@staff_required("agent")
def end_session(session_id):
    """Sign one other browser out."""
    record = end_one(current_staff(), session_id, current_session_id())
    if record is None:
        abort(404)
    db.session.commit()
    flash(_("That session is signed out."), "success")
    return redirect(url_for("staff_auth.sessions_page"))


@bp.post("/staff/sessions/end-others")
@staff_required("agent")
def end_other_sessions():
    """Sign out everywhere but here."""
    staff, current_id = current_staff(), session.get(RECORD_KEY)
    ended = end_others(staff, current_id)
    db.session.commit()
    session[VERSION_KEY] = staff.session_version
    flash(ngettext("%(num)d other session signed out.", "%(num)d other sessions signed out.", len(ended)),
          "success")
    return redirect(url_for("staff_auth.sessions_page"))
