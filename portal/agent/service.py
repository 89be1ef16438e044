"""What agents do with escalated cases: the queue, taking, replying, notes, decisions, and the customer panel.

Every status change goes through portal.casework's one `transition()`; every other change an agent makes
to a case writes its own CaseEvent here, so the case's timeline is its complete audit trail.
"""

import re
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import selectinload

from portal import bookings, shop_events
from portal.casework import service as cases
from portal.complaints import reading
from portal.extensions import db
from portal.models import (
    AuditEntry,
    Callback,
    Case,
    CaseMessage,
    Customer,
    Order,
    Staff,
    Survey,
    SurveyAnswer,
    utcnow,
)
from portal.models.cases import (
    CLOCK_PAUSED_STATUSES,
    OPEN_STATUSES,
    RESOLUTION_TYPES,
    RESOLVED_STATUSES,
    URGENCIES,
)
from portal.returns import parcel
from portal.settings import clock_resumes_at, sla_due
from portal.surveys import followups
from portal.surveys.followups import is_churn_risk
from portal.web import external_url

# The script a case's text is written in says which help center's articles can answer it.
_CJK = re.compile(r"[\u3400-\u9fff]")
_LATIN = re.compile(r"[A-Za-z]{3,}")

MAX_MESSAGE_CHARS = 5000
MAX_REASON_CHARS = 500
# Status changes an agent may make by deciding on a return.
RETURN_KINDS = ("return", "exchange", "repair")
RESOLVABLE_TYPES = RESOLUTION_TYPES
# Resolution types that carry an amount: a refund, or a coupon's value.
TYPES_WITH_AMOUNT = ("refund", "coupon")
MAX_AMOUNT_CENTS = 10_000_000


class ActionRefused(ValueError):
    """The action cannot be done as asked; `message` says why, in words for the agent."""

    def __init__(self, message):
        super().__init__(str(message))
        self.message = message


# ---- The queue --------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Clock:
    """One SLA clock: counting down to `due`, stopped once `done_at` is set."""

    due: datetime | None
    done_at: datetime | None
    now: datetime
    paused: bool = False  # waiting on the customer: neither running nor missed
    # A business-hours clock outside business hours stands still until then (None: it is ticking).
    resumes_at: datetime | None = None

    @property
    def running(self):
        return self.due is not None and self.done_at is None and not self.paused

    @property
    def remaining(self):
        return (self.due - self.now) if self.running else None

    @property
    def breached(self):
        if self.due is None or self.paused:
            return False
        return (self.done_at or self.now) > self.due

    @property
    def warning(self):
        """Under ten minutes left: shown amber before it turns red."""
        return self.running and not self.breached and self.remaining < timedelta(minutes=10)


def clocks(case, now):
    """The first-response and resolution clocks of a case; running ones on business hours say, outside those
    hours, when they start again."""
    # A case the customer solved (or that expired) before anyone answered needs no first response any more.
    first = Clock(case.first_response_due, case.first_response_at or case.resolved_at, now)
    resolution = Clock(case.resolution_due, case.resolved_at, now, paused=case.status in CLOCK_PAUSED_STATUSES)
    if first.running or resolution.running:
        resumes_at = clock_resumes_at(case.urgency, now)
        if resumes_at is not None:
            first, resolution = (replace(clock, resumes_at=resumes_at) if clock.running else clock
                                 for clock in (first, resolution))
    return first, resolution


@dataclass(frozen=True)
class QueueFilters:
    kind: str = ""
    urgency: str = ""
    assigned: str = ""  # "", "mine" or "unassigned"
    breached: bool = False
    q: str = ""

    def as_args(self):
        """The filters as query arguments, only those set (for links and the self-refreshing list)."""
        args = {"kind": self.kind, "urgency": self.urgency, "assigned": self.assigned,
                "breached": "1" if self.breached else "", "q": self.q}
        return {name: value for name, value in args.items() if value}


def parse_filters(args):
    """Filters from query arguments; values that are not offered are ignored rather than refused."""
    from portal.models.cases import KINDS

    kind = args.get("kind", "")
    urgency = args.get("urgency", "")
    assigned = args.get("assigned", "")
    return QueueFilters(
        kind=kind if kind in KINDS else "",
        urgency=urgency if urgency in URGENCIES else "",
        assigned=assigned if assigned in ("mine", "unassigned") else "",
        breached=args.get("breached") == "1",
        q=" ".join(str(args.get("q", "")).split())[:254],
    )


def queue(staff, filters, now, limit):
    """Escalated, unresolved cases, by priority (lower first) then the nearest SLA due time; (cases, more)."""
    # Sort ids only (narrow rows), then load the page of cases with their customers and assignees.
    statement = (
        select(Case.id)
        .where(Case.escalated.is_(True), Case.status.in_(OPEN_STATUSES))
        .order_by(Case.priority, Case.first_response_due.is_(None), Case.first_response_due,
                  Case.resolution_due, Case.id)
    )
    if filters.kind:
        statement = statement.where(Case.kind == filters.kind)
    if filters.urgency:
        statement = statement.where(Case.urgency == filters.urgency)
    if filters.assigned == "mine":
        statement = statement.where(Case.assignee_id == staff.id)
    elif filters.assigned == "unassigned":
        statement = statement.where(Case.assignee_id.is_(None))
    if filters.breached:
        statement = statement.where(or_(
            Case.first_response_breached.is_(True), Case.resolution_breached.is_(True),
            (Case.first_response_at.is_(None) & (Case.first_response_due < now)),
            Case.resolution_due < now,
        ))
    if filters.q:
        # A subquery rather than a join: joined, the planner walks every customer to find open cases.
        by_email = select(Customer.id).where(func.lower(Customer.email) == filters.q.lower())
        statement = statement.where(or_(Case.reference == filters.q.upper(), Case.customer_id.in_(by_email)))
    ids = db.session.scalars(statement.limit(limit + 1)).all()
    loaded = {case.id: case for case in db.session.scalars(
        select(Case).options(selectinload(Case.customer), selectinload(Case.assignee))
        .where(Case.id.in_(ids[:limit])))}
    return [loaded[case_id] for case_id in ids[:limit]], len(ids) > limit


def case_by_reference(reference):
    return cases.find_by_reference(reference)


def take(case, staff):
    """Assign the case to `staff` unless another agent took it meanwhile (one conditional UPDATE decides)."""
    claimed = db.session.execute(
        update(Case).where(Case.id == case.id, or_(Case.assignee_id.is_(None), Case.assignee_id == staff.id))
        .values(assignee_id=staff.id).execution_options(synchronize_session=False)
    ).rowcount
    db.session.refresh(case)
    if claimed != 1:
        holder = case.assignee.name if case.assignee else ""
        raise ActionRefused(holder)
    cases.record_event(case, "assignee", "", staff.email, staff=staff)
    return case


def reassign(case, staff, to_staff, reason):
    """Hand the case to another agent; the reason goes on the timeline."""
    if to_staff is None or not to_staff.active:
        raise ActionRefused("unknown agent")
    old = case.assignee.email if case.assignee else ""
    case.assignee_id = to_staff.id
    cases.record_event(case, "assignee", old, to_staff.email, staff=staff, reason=_clean(reason))
    return case


def change_urgency(case, staff, urgency, reason):
    """Set a new urgency with a reason; the SLA due times follow the new targets, counted from filing."""
    reason = _clean(reason)
    if urgency not in URGENCIES:
        raise ActionRefused("urgency")
    if not reason:
        raise ActionRefused("reason")
    if urgency == case.urgency:
        return case
    old = case.urgency
    case.urgency = urgency
    case.first_response_due = sla_due("first_response", urgency, case.created_at)
    case.resolution_due = sla_due("resolution", urgency, case.created_at)
    cases.record_event(case, "urgency", old, urgency, staff=staff, reason=reason)
    if case.kind == "complaint":
        # Triage learns from the team: the text joins its examples with the agent's label.
        reading.learn(case.description, urgency, case_id=case.id, staff_id=staff.id)
    return case


def _clean(text, limit=MAX_REASON_CHARS):
    return (text or "").strip()[:limit]


def _message_text(body):
    body = (body or "").replace("\r\n", "\n").strip()
    if not body:
        raise ActionRefused("empty")
    if len(body) > MAX_MESSAGE_CHARS:
        raise ActionRefused("too long")
    return body


def is_resolved(case):
    return case.status in RESOLVED_STATUSES


def reply(case, staff, body, now=None):
    """An agent's reply: the customer sees it and is told; the first one stops the first-response clock."""
    now = now or utcnow()
    if is_resolved(case):
        # The customer would never hear of it: a resolved case is reopened by its customer, not answered.
        raise ActionRefused("resolved")
    message = CaseMessage(case_id=case.id, author_type="agent", staff_id=staff.id, body=_message_text(body),
                          internal=False, created_at=now)
    db.session.add(message)
    db.session.flush()
    cases.record_first_response(case, staff, now)
    if case.status == "reopened":
        cases.transition(case, "escalated", actor_type="staff", staff=staff, reason="an agent picked it up")
    if case.can_transition("answered"):
        # The status change is what notifies the customer (case.notify, with the reply in the e-mail).
        cases.transition(case, "answered", actor_type="staff", staff=staff, reason="agent replied")
    else:
        cases.record_event(case, "message", "", "agent reply", staff=staff)
    return message


def add_note(case, staff, body):
    """An internal note: for staff only, never shown, sent or exported to the customer."""
    message = CaseMessage(case_id=case.id, author_type="agent", staff_id=staff.id, body=_message_text(body),
                          internal=True)
    db.session.add(message)
    # The timeline records that a note was added, never what it says.
    cases.record_event(case, "internal_note", "", "added", staff=staff)
    return message


def decide_return(case, staff, approve, reason):
    """Approve or reject a return, exchange or repair; a rejection needs a reason the customer will read."""
    reason = _clean(reason)
    if case.kind not in RETURN_KINDS:
        raise ActionRefused("not a return")
    target = "approved" if approve else "rejected"
    if not approve and not reason:
        raise ActionRefused("reason")
    if not case.can_transition(target):
        raise ActionRefused("status")
    cases.transition(case, target, actor_type="staff", staff=staff, reason=reason)
    if approve:
        parcel.issue_label(case)
        shop_events.case_approved(case)
    return case


def receive_parcel(case, staff, note):
    """The parcel is here and the shop has no integration to say so: received by hand, audited."""
    try:
        return parcel.receive_by_hand(case, staff, note)
    except parcel.ParcelRefused:
        raise ActionRefused("status") from None


def resolve(case, staff, resolution_type, amount_cents, note):
    """Resolve with a resolution type (and an amount for refunds and coupons) and a note for the customer."""
    note = _clean(note, MAX_MESSAGE_CHARS)
    if resolution_type not in RESOLVABLE_TYPES:
        raise ActionRefused("type")
    if resolution_type in TYPES_WITH_AMOUNT:
        if amount_cents is None or not 0 < amount_cents <= MAX_AMOUNT_CENTS:
            raise ActionRefused("amount")
    else:
        amount_cents = 0
    if not case.can_transition("resolved"):
        raise ActionRefused("status")
    case.resolution_type = resolution_type
    case.resolution_amount_cents = amount_cents
    case.resolution_note = note
    cases.transition(case, "resolved", actor_type="staff", staff=staff, reason=note)
    shop_events.case_resolved(case)
    return case


def reveal_contact(case, staff, field):
    """Show the customer's e-mail or phone to this agent, and keep a record that it was shown."""
    if field not in ("email", "phone"):
        raise ActionRefused("field")
    db.session.add(AuditEntry(actor_type="staff", actor_id=staff.id, action=f"customer.{field}_revealed",
                              target_type="customer", target_id=case.customer_id,
                              detail={"case": case.reference}))
    cases.record_event(case, "contact_revealed", "", field, staff=staff)
    return getattr(case.customer, field)


def active_agents():
    return db.session.scalars(select(Staff).where(Staff.active.is_(True)).order_by(Staff.name, Staff.id)).all()


# ---- The customer beside the case -------------------------------------------------------------------------

@dataclass
class CustomerPanel:
    customer: Customer
    orders: list
    previous_cases: list
    survey_scores: list  # (answered_at, score, case reference)
    complaints_30d: int
    churn_risk: bool


def customer_panel(case, now):
    """What an agent needs to know about the customer beside this case."""
    customer = case.customer
    config = current_app.config
    orders = db.session.scalars(select(Order).where(Order.customer_id == customer.id)
                                .order_by(Order.placed_at.desc()).limit(5)).all()
    if case.order is not None and case.order not in orders:
        # The order the case is about comes first, however old it is.
        orders = [case.order, *orders[:4]]
    previous = db.session.scalars(select(Case).where(Case.customer_id == customer.id, Case.id != case.id)
                                  .order_by(Case.created_at.desc()).limit(10)).all()
    scores = db.session.execute(
        select(SurveyAnswer.answered_at, SurveyAnswer.score, Case.reference)
        .join(Survey, Survey.id == SurveyAnswer.survey_id).join(Case, Case.id == Survey.case_id)
        .where(Survey.customer_id == customer.id).order_by(SurveyAnswer.answered_at.desc()).limit(10)
    ).all()
    window = now - timedelta(days=config["CHURN_RISK_WINDOW_DAYS"])
    complaints = db.session.scalar(select(func.count()).select_from(Case).where(
        Case.customer_id == customer.id, Case.kind == "complaint", Case.created_at >= window)) or 0
    return CustomerPanel(customer=customer, orders=orders, previous_cases=previous, survey_scores=scores,
                         complaints_30d=complaints, churn_risk=is_churn_risk(customer, now))


def order_with_cases(number):
    """An order by its number and the cases about it, newest first; (None, []) for an unknown number."""
    order = db.session.scalar(select(Order).where(Order.number == number))
    if order is None:
        return None, []
    about = db.session.scalars(select(Case).where(Case.order_id == order.id).order_by(Case.created_at.desc())).all()
    return order, about


def suggested_actions(case, articles, limit=3):
    """The self-service actions (intent cards) that the customer's words and the best suggested article lead to,
    each with the absolute link an agent can send; never "file a complaint": the case is one already."""
    from portal.help import search
    from portal.help import service as help_service
    from portal.help.defaults import ACTIONS

    names = [name for name in help_service.intent_actions(search.clean_query(case.description),
                                                          [article.scenario for article in articles[:1]])
             if name != "file_complaint"]
    cards = help_service.action_cards(names, limit=limit)
    for card in cards:
        action = ACTIONS[card["name"]]
        card["link"] = external_url(action.endpoint, **dict(action.args))
    return cards


def suggested_articles(case, limit=5):
    """Help articles for what the customer wrote, by the help center's own ranking (lexical and by meaning), in
    the language the text is written in (else the customer's)."""
    from portal.help import search

    text = search.clean_query(case.description) or case.category
    locale = case.customer.locale if case.customer else "en"
    if _CJK.search(text):
        locale = "zh"
    elif _LATIN.search(text):
        locale = "en"
    try:
        result = search.search(text, locale, limit=limit)
    except Exception:  # noqa: BLE001 - the workspace stays usable when the search index is missing or broken
        current_app.logger.exception("suggested articles failed for case %s", case.reference)
        return []
    return result.hits


# ---- Callbacks --------------------------------------------------------------------------------------------

def open_callbacks(now, only_due=False, limit=200):
    """Open follow-up calls, soonest first; `only_due` keeps those due by now."""
    statement = select(Callback).where(Callback.status == "open").order_by(Callback.due_at, Callback.id)
    if only_due:
        statement = statement.where(Callback.due_at <= now)
    return db.session.scalars(statement.limit(limit)).all()


def _open_callback(callback):
    if callback.status != "open":
        raise ActionRefused("closed")


def complete_callback(callback, staff, note, now=None):
    """The call was made: keep what came of it."""
    _open_callback(callback)
    note = _clean(note, MAX_MESSAGE_CHARS)
    if not note:
        raise ActionRefused("note")
    followups.set_callback_status(callback, "done", staff=staff, note=note, now=now)
    cases.record_event(callback.case, "callback", "open", "done", staff=staff, reason=note)
    return callback


def reschedule_callback(callback, staff, due_at, now=None):
    """Move the call to a later time (e.g. the customer asked to be called tomorrow)."""
    _open_callback(callback)
    now = now or utcnow()
    if due_at is None or due_at <= now or due_at > now + timedelta(days=60):
        raise ActionRefused("due")
    old = callback.due_at
    # The agent's time replaces the one the customer booked: that seat goes back to other customers.
    bookings.cancel("callback", callback.case, now=now, actor_type="staff")
    callback.due_at = due_at
    cases.record_event(callback.case, "callback_due", old.isoformat(), due_at.isoformat(), staff=staff)
    return callback


def reopen_from_callback(callback, staff, note, now=None):
    """The problem is not fixed: reopen the case (back to the agents) and close the call with the note."""
    _open_callback(callback)
    note = _clean(note, MAX_MESSAGE_CHARS)
    if not note:
        raise ActionRefused("note")
    case = callback.case
    if not case.can_transition("reopened"):
        raise ActionRefused("status")
    cases.transition(case, "reopened", actor_type="staff", staff=staff, reason=note)
    followups.set_callback_status(callback, "done", staff=staff, note=note, now=now)
    return callback
