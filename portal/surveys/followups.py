"""After a case is resolved: "is it fixed?", agent callbacks for those who need a person, and reopening.

Complaints, high-urgency cases, VIP customers and churn risks get a call from an agent instead of an
e-mail; so does a customer who rated 1-2, or who says "not fixed" when the case can no longer reopen. The
customer picks the time of the call from the free slots on their case page (portal/bookings.py), and may
ask for a call themselves.
"""

from datetime import timedelta

from flask import current_app
from sqlalchemy import exists, func, select

from portal import bookings
from portal.casework import service as cases
from portal.extensions import db
from portal.models import AuditEntry, Callback, Case, Survey, SurveyAnswer, utcnow
from portal.models.cases import OPEN_STATUSES, RESOLVED_STATUSES
from portal.surveys import tokens
from portal.web import external_url

# Why an agent calls (the agents' callback list translates these codes).
CALLBACK_REASONS = ("complaint", "high_urgency", "vip", "churn_risk", "low_rating", "not_fixed", "requested")
MAX_PHONE = 40
PHONE_CHARACTERS = frozenset("0123456789+-() .")


class CallbackRefused(ValueError):
    """A change the callback's status flow does not allow, or a call a customer cannot book: `reason`."""

    def __init__(self, reason):
        super().__init__(reason)
        self.reason = reason


def is_churn_risk(customer, now):
    """2+ complaints in 30 days (settings), or any survey rating of 1-2."""
    config = current_app.config
    since = now - timedelta(days=config["CHURN_RISK_WINDOW_DAYS"])
    complaints = db.session.scalar(select(func.count()).select_from(Case).where(
        Case.customer_id == customer.id, Case.kind == "complaint", Case.created_at >= since)) or 0
    if complaints >= config["CHURN_RISK_COMPLAINTS"]:
        return True
    return db.session.scalar(select(exists().where(
        Survey.customer_id == customer.id, SurveyAnswer.survey_id == Survey.id, SurveyAnswer.score <= 2)))


def callback_reason(case, now):
    """Why this resolved case gets an agent's call instead of the check-in e-mail, or None."""
    if case.kind == "complaint":
        return "complaint"
    if case.urgency == "high":
        return "high_urgency"
    if case.customer.is_vip:
        return "vip"
    if is_churn_risk(case.customer, now):
        return "churn_risk"
    return None


def ensure_callback(case, reason, now):
    """The case's open callback, created with `reason` when there is none (one open call per case)."""
    if reason not in CALLBACK_REASONS:
        raise ValueError(reason)
    callback = db.session.scalar(select(Callback).where(Callback.case_id == case.id, Callback.status == "open"))
    if callback is None:
        callback = Callback(case_id=case.id, customer_id=case.customer_id, reason=reason,
                            phone=case.customer.phone or "", due_at=now + current_app.config["CALLBACK_DUE"],
                            created_at=now)
        db.session.add(callback)
        db.session.flush()
    return callback


def answer_links(case, now):
    """The check-in's signed "Yes, it's fixed" and "No, reopen my case" links."""
    token = tokens.case_token("followup", case, now + current_app.config["FOLLOWUP_LINK_LIFETIME"])
    return (external_url("surveys.followup", token=token, answer="yes"),
            external_url("surveys.followup", token=token, answer="no"))


def record_answer(case, fixed, now=None):
    """The customer's answer to "is it fixed?"; returns what happened: fixed, reopened, already_open, callback."""
    now = now or utcnow()
    if fixed:
        _audit(case, "followup.fixed", now)
        return "fixed"
    if case.status in OPEN_STATUSES:
        return "already_open"  # a second click, or the case reopened meanwhile
    _audit(case, "followup.not_fixed", now)
    if cases.can_reopen(case, now):
        # Reopening puts the case back before an agent, with its SLA clock and notifications.
        cases.reopen(case, reason="follow-up: the customer says it is not fixed", now=now)
        return "reopened"
    ensure_callback(case, "not_fixed", now)
    return "callback"


def _audit(case, action, now):
    done = db.session.scalar(select(exists().where(
        AuditEntry.action == action, AuditEntry.target_type == "case", AuditEntry.target_id == case.id)))
    if not done:
        db.session.add(AuditEntry(actor_type="customer", actor_id=case.customer_id, action=action,
                                  target_type="case", target_id=case.id, created_at=now))


def set_callback_status(callback, status, staff=None, note="", now=None):
    """The one way a callback's status changes: checked against the flow, and its booked slot given back."""
    if not callback.can_move_to(status):
        raise CallbackRefused("closed")
    callback.status = status
    if note:
        callback.outcome_note = note
    callback.completed_by_id = staff.id if staff is not None else None
    callback.completed_at = now or utcnow()
    booking = bookings.booking_for("callback", callback.case)
    if booking is not None and booking.callback_id == callback.id:
        db.session.delete(booking)
    return callback


def open_callback(case):
    return db.session.scalar(select(Callback).where(Callback.case_id == case.id, Callback.status == "open"))


def can_ask_for_call(case):
    """A customer may ask for a call while the case is open; a resolved one offers reopening instead (a call
    the survey's follow-up arranged is booked through its own callback)."""
    return case.status not in RESOLVED_STATUSES


def clean_phone(text):
    """A phone number as typed, or CallbackRefused("phone")."""
    phone = " ".join((text or "").split())
    digits = sum(ch.isdigit() for ch in phone)
    if not phone or len(phone) > MAX_PHONE or digits < 5 or not set(phone) <= PHONE_CHARACTERS:
        raise CallbackRefused("phone")
    return phone


def book_call(case, start, phone, now=None):
    """The customer chooses when an agent calls: the case's open callback (or a new one they ask for) gets the
    slot; BookingRefused when the slot is full or not offered, CallbackRefused for a bad phone number."""
    now = now or utcnow()
    callback = open_callback(case)
    if callback is None and not can_ask_for_call(case):
        raise CallbackRefused("closed")
    phone = clean_phone(phone)
    if callback is None:
        callback = ensure_callback(case, "requested", now)
    callback.phone = phone
    return bookings.book("callback", case, start, now=now, callback=callback)


def cancel_call(case, now=None):
    """The customer no longer wants the call: the callback is cancelled and its slot given back."""
    now = now or utcnow()
    callback = open_callback(case)
    if callback is None:
        raise CallbackRefused("no_call")
    bookings.cancel("callback", case, now=now)
    set_callback_status(callback, "cancelled", now=now)
    cases.record_event(case, "callback_cancelled", "open", "cancelled", actor_type="customer", now=now)
    return callback

