"""The case lifecycle shared by returns and complaints: open, transition, escalate, reply, resolve, reopen.

Every status change goes through `transition()`: it checks the map on the model (TRANSITIONS), writes the
audit event, keeps the SLA clocks and schedules the worker's jobs through the outbox, all in the caller's
transaction. Callers commit.
"""

import secrets
from datetime import timedelta

from flask import current_app
from sqlalchemy import select, update

from portal import settings
from portal.extensions import db
from portal.jobs import schedule
from portal.models import Case, CaseEvent, CaseMessage, utcnow
from portal.models.cases import (
    CLOCK_PAUSED_STATUSES,
    ESCALATING_STATUSES,
    RESOLVED_STATUSES,
    UNSERVED_STATUSES,
)
from portal.settings import sla_due

# No 0/O, 1/I/L: references are read out on the phone. 8 characters of 32 = 40 random bits.
REFERENCE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
REFERENCE_LENGTH = 8
MAX_MESSAGE_CHARS = 5000


class InvalidTransition(ValueError):
    """The status map does not allow this change."""


class ActionRefused(ValueError):
    """A customer action that the case's state does not allow; the message says which."""


def random_reference(prefix):
    return prefix + "-" + "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(REFERENCE_LENGTH))


def _unused_reference():
    while True:
        reference = random_reference("C")
        if db.session.scalar(select(Case.id).where(Case.reference == reference)) is None:
            return reference


def find_by_reference(reference):
    reference = (reference or "").strip().upper()
    if len(reference) != REFERENCE_LENGTH + 2:
        return None
    return db.session.scalar(select(Case).where(Case.reference == reference))


def record_event(case, field, old, new, *, staff=None, actor_type=None, reason="", now=None):
    """The one way a change reaches the case's audit timeline: who (staff, else `actor_type`), what, from, to, why."""
    event = CaseEvent(case=case, actor_type=actor_type or ("staff" if staff else "system"),
                      staff_id=staff.id if staff else None, field=field, old_value=str(old or "")[:200],
                      new_value=str(new or "")[:200], reason=(reason or "")[:2000], created_at=now or utcnow())
    db.session.add(event)
    return event


def _entries(case, statuses):
    """How many times the case has entered one of `statuses` from outside them."""
    return sum(1 for e in case.events
               if e.field == "status" and e.new_value in statuses and e.old_value not in statuses)


def _escalate(case, now):
    case.escalated = True
    case.escalated_at = now
    # A promise still in the future stands; otherwise (or for a case new to the queue) the clock starts now.
    if case.first_response_at is None and (case.first_response_due is None or case.first_response_due <= now):
        case.first_response_due = sla_due("first_response", case.urgency, now)
    count = _entries(case, ESCALATING_STATUSES)
    schedule("case.escalated", case.id, key=f"case:{case.id}:escalated:{count}")


def record_first_response(case, staff, now):
    """A person's answer reached the customer: the first one stops the first-response clock, and a case nobody
    had taken becomes that person's (the leads' per-agent figures count it). One conditional UPDATE claims it, so
    a colleague who takes it at the same moment keeps it."""
    if case.first_response_at is None:
        case.first_response_at = now
    if case.assignee_id is not None:
        return
    claimed = db.session.execute(
        update(Case).where(Case.id == case.id, Case.assignee_id.is_(None)).values(assignee_id=staff.id)
        .execution_options(synchronize_session=False)).rowcount
    db.session.expire(case, ["assignee_id", "assignee"])
    if claimed == 1:
        record_event(case, "assignee", "", staff.email, staff=staff, now=now)


def _resolve(case, now, staff=None):
    config = current_app.config
    case.resolved_at = now
    if staff is not None:
        # An agent's resolution is an answer the customer reads (the resolution e-mail).
        record_first_response(case, staff, now)
    if case.status in UNSERVED_STATUSES:
        return
    count = _entries(case, RESOLVED_STATUSES)
    schedule("survey.invite", case.id, key=f"survey:case:{case.id}", not_before=now + settings.survey_delay())
    schedule("followup.check", case.id, key=f"followup:case:{case.id}:{count}",
             not_before=now + config["FOLLOWUP_DELAY"])


def _resume_resolution_clock(case, now):
    """Move the resolution target on by the time the case waited on the customer (and their parcel)."""
    paused_at = max((e.created_at for e in case.events if e.field == "status"
                     and e.new_value in CLOCK_PAUSED_STATUSES and e.old_value not in CLOCK_PAUSED_STATUSES),
                    default=None)
    if case.resolution_due is not None and paused_at is not None:
        case.resolution_due += now - paused_at


def transition(case, to_status, *, actor_type="system", staff=None, reason="", now=None, notify=True):
    """Move `case` to `to_status` if the map allows it: audit event, SLA clocks and notifications included
    (`notify=False`: no e-mail, for history loaded in bulk)."""
    if not case.can_transition(to_status):
        raise InvalidTransition(f"{case.status} -> {to_status}")
    now = now or utcnow()
    old = case.status
    if old in CLOCK_PAUSED_STATUSES and to_status not in CLOCK_PAUSED_STATUSES:
        _resume_resolution_clock(case, now)
    case.status = to_status
    case.updated_at = now
    event = record_event(case, "status", old, to_status, staff=staff, actor_type=actor_type, reason=reason, now=now)
    db.session.flush()
    if to_status in ESCALATING_STATUSES and old not in ESCALATING_STATUSES:
        _escalate(case, now)
    if to_status in RESOLVED_STATUSES and old not in RESOLVED_STATUSES:
        _resolve(case, now, staff)
    if to_status == "closed":
        case.closed_at = now
    if to_status == "reopened":
        case.resolved_at = None
    if notify:
        schedule("case.notify", case.id, event.id, key=f"case:{case.id}:event:{event.id}")
    return event


def open_case(case, first_status, reason, now=None):
    """Store a new case (submitted) and move it at once to the status triage or the policy chose."""
    now = now or utcnow()
    case.reference = _unused_reference()
    case.status = "submitted"
    case.created_at = case.updated_at = now
    case.resolution_due = sla_due("resolution", case.urgency, now)
    if first_status == "acknowledged":
        # Not yet with a person: this is when it goes to one unless the customer says it is solved.
        case.first_response_due = sla_due("first_response", case.urgency, now)
    db.session.add(case)
    record_event(case, "status", "", "submitted", actor_type="customer", now=now)
    db.session.flush()
    transition(case, first_status, reason=reason, now=now)
    return case


def escalate_overdue_acknowledged(now=None):
    """Hand to agents every acknowledged case whose first-response target passed without the customer
    saying it was solved; the SLA sweep calls this. Returns how many were escalated."""
    now = now or utcnow()
    overdue = db.session.scalars(
        select(Case).where(Case.status == "acknowledged", Case.first_response_due <= now)
        .order_by(Case.priority, Case.id).with_for_update(skip_locked=True)
    ).all()
    for case in overdue:
        transition(case, "escalated", reason="no reply from the customer by the first-response target", now=now)
    return len(overdue)


def ask_for_a_person(case, now=None):
    """The customer answered "I still need help": an acknowledged case goes to an agent now."""
    if case.status != "acknowledged":
        raise ActionRefused("not acknowledged")
    return transition(case, "escalated", actor_type="customer", reason="the customer asked for a person", now=now)


def mark_solved(case, now=None):
    """The customer says a suggested article solved it."""
    if case.status != "acknowledged":
        raise ActionRefused("not acknowledged")
    return transition(case, "resolved", actor_type="customer", reason="solved by a suggested article", now=now)


def can_reopen(case, now=None):
    return case.can_reopen(now or utcnow(), _reopen_window())


def _reopen_window():
    return timedelta(days=current_app.config["REOPEN_WINDOW_DAYS"])


def reopen(case, reason="", now=None):
    """The customer reopens a resolved case within the reopen window: it goes back to the agents."""
    now = now or utcnow()
    if not case.can_reopen(now, _reopen_window()):
        raise ActionRefused("cannot reopen")
    return transition(case, "reopened", actor_type="customer", reason=reason or "reopened by the customer", now=now)


# Where a customer's reply sends the case: back to a person when it was waiting on the customer.
REPLY_ESCALATES = {"acknowledged": "the customer replied", "answered": "the customer replied to our answer"}


def customer_reply(case, body, now=None):
    """The customer's message on their case; a reply to an acknowledged or answered case goes to an agent."""
    now = now or utcnow()
    body = (body or "").replace("\r\n", "\n").strip()
    if not body:
        raise ActionRefused("empty")
    if len(body) > MAX_MESSAGE_CHARS:
        raise ActionRefused("too long")
    if case.status in RESOLVED_STATUSES:
        raise ActionRefused("resolved")
    message = CaseMessage(case=case, author_type="customer", body=body, internal=False, created_at=now)
    db.session.add(message)
    if case.status in REPLY_ESCALATES:
        transition(case, "escalated", actor_type="customer", reason=REPLY_ESCALATES[case.status], now=now)
    return message


def visible_messages(case):
    """The conversation as the customer sees it: internal notes never."""
    return sorted((m for m in case.messages if not m.internal), key=lambda m: (m.created_at, m.id or 0))


def timeline(case):
    """Status changes, oldest first."""
    return sorted((e for e in case.events if e.field == "status"), key=lambda e: (e.created_at, e.id or 0))


def cases_for(customer):
    return db.session.scalars(select(Case).where(Case.customer_id == customer.id)
                              .order_by(Case.created_at.desc(), Case.id.desc())).all()
