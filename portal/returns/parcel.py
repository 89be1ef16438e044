"""The return after approval: the label and drop-off deadline, the customer's "I've sent it", the parcel's
way back as the shop reports it, an agent receiving it by hand, and the deadline's reminder and expiry.

Every status change goes through portal.casework's one `transition()`; callers commit.
"""

import re
from datetime import UTC, datetime, time, timedelta

from sqlalchemy import select

from portal.casework import service as cases
from portal.extensions import db
from portal.jobs import schedule
from portal.models import AuditEntry, Case, CaseShopEvent, utcnow
from portal.storable import storable_text

RETURN_KINDS = ("return", "exchange", "repair")
DROP_OFF_DAYS = 14
REMINDER_BEFORE = timedelta(days=2)
TRACKING = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 -]{3,39}$")
MAX_CARRIER_CHARS = 60
# The shop's event, the statuses it may arrive in, the status it moves the case to, the kind it is for.
SHOP_STEPS = {
    "return.in_transit": (("awaiting_item",), "item_in_transit", RETURN_KINDS),
    "return.received": (("awaiting_item", "item_in_transit"), "received", RETURN_KINDS),
    "refund.issued": (("received",), "refunded", ("return",)),
    "exchange.shipped": (("received",), "exchanged", ("exchange",)),
    "repair.completed": (("received",), "repaired", ("repair",)),
}


class ParcelRefused(ValueError):
    """A step the return's state does not allow; `code` says which, for the caller's words."""

    def __init__(self, code):
        super().__init__(code)
        self.code = code


class ShopEventRefused(ValueError):
    """A shop event that does not fit the case: answered 409 and shown to the agents, never applied."""

    def __init__(self, case, code, field, message):
        super().__init__(f"{field}: {message}")
        self.case = case
        self.code = code
        self.field = field
        self.message = message


def rma_for(case):
    """The return's RMA: the case reference with R for C, unique as the case reference is."""
    return "R" + case.reference[1:]


def find_by_rma(rma, for_update=False):
    """The return with this RMA; `for_update` holds its row, so two events for one case apply one at a time."""
    rma = (rma or "").strip().upper()
    if not rma:
        return None
    statement = select(Case).where(Case.return_label == rma)
    return db.session.scalar(statement.with_for_update() if for_update else statement)


def drop_off_deadline(now):
    """The end of the last drop-off day (UTC): a parcel dropped off that day still counts."""
    last_day = (now + timedelta(days=DROP_OFF_DAYS)).date()
    return datetime.combine(last_day, time(23, 59, 59), tzinfo=UTC)


def _times_entered(case, status):
    return sum(1 for e in case.events if e.field == "status" and e.new_value == status)


def issue_label(case, now=None):
    """After approval: the RMA and drop-off deadline, the case waits for the parcel (its clock paused), and the
    reminder before the deadline and the expiry after it are scheduled."""
    now = now or utcnow()
    if case.kind not in RETURN_KINDS or case.status != "approved":
        return None
    case.return_label = rma_for(case)
    case.drop_off_due = drop_off_deadline(now)
    case.return_carrier = case.return_tracking = ""
    cases.transition(case, "awaiting_item", reason="return label issued", now=now)
    # Per label: a return approved again after it expired gets its own reminder and expiry.
    round_ = _times_entered(case, "awaiting_item")
    deadline = case.drop_off_due.isoformat()
    schedule("return.reminder", case.id, deadline, key=f"return:{case.id}:reminder:{round_}",
             not_before=max(now, case.drop_off_due - REMINDER_BEFORE))
    schedule("return.expire", case.id, deadline, key=f"return:{case.id}:expire:{round_}",
             not_before=case.drop_off_due)
    return case


def clean_tracking(tracking, carrier):
    """(tracking, carrier) as the customer typed them, or ParcelRefused naming the field."""
    tracking = " ".join(storable_text(tracking or "").split()).upper()
    carrier = " ".join(storable_text(carrier or "").split())
    if not TRACKING.match(tracking):
        raise ParcelRefused("tracking")
    if len(carrier) > MAX_CARRIER_CHARS:
        raise ParcelRefused("carrier")
    return tracking, carrier


def mark_sent(case, tracking, carrier, now=None):
    """The customer's "I've sent it": the carrier's tracking number of the parcel back, on the timeline."""
    now = now or utcnow()
    if case.status not in ("awaiting_item", "item_in_transit"):
        raise ParcelRefused("status")
    tracking, carrier = clean_tracking(tracking, carrier)
    old = case.return_tracking
    case.return_tracking, case.return_carrier = tracking, carrier
    cases.record_event(case, "return_tracking", old, tracking, actor_type="customer", reason=carrier, now=now)
    return case


def receive_by_hand(case, staff, note, now=None):
    """An agent marks the parcel received (a shop without an integration): the status change and an audit row."""
    now = now or utcnow()
    if case.kind not in RETURN_KINDS or not case.can_transition("received"):
        raise ParcelRefused("status")
    note = " ".join(storable_text(note or "").split())[:500]
    cases.transition(case, "received", actor_type="staff", staff=staff,
                     reason=note or "parcel marked received by an agent", now=now)
    db.session.add(AuditEntry(actor_type="staff", actor_id=staff.id, action="case.parcel_received_by_hand",
                              target_type="case", target_id=case.id,
                              detail={"case": case.reference, "rma": case.return_label, "note": note}))
    return case


# ---- The shop's events ------------------------------------------------------------------------------------

def _check(kind, case, data):
    """Why the event does not fit the case, as (code, field, message), or None."""
    allowed_from, target, kinds = SHOP_STEPS[kind]
    if case.kind not in kinds:
        return "wrong_kind", "type", f"case {case.reference} is a {case.kind}, not something {kind} applies to"
    if case.status == target:
        return "already", "type", f"already applied: the case is already {target}"
    if case.status not in allowed_from:
        return "out_of_order", "type", (f"out of order: the case is {case.status}; {kind} needs it to be "
                                        f"{' or '.join(allowed_from)}")
    if kind == "refund.issued":
        if data["currency"] != case.currency:
            return "currency", "data.currency", f"the return is in {case.currency}"
        if data["amount_cents"] > case.refund_estimate_cents:
            return "amount", "data.amount_cents", (f"more than the refundable amount of "
                                                   f"{case.refund_estimate_cents} {case.currency} cents")
    return None


def apply_shop_event(event_id, kind, data, now=None, notify=True):
    """Move the return one step for the shop's event, or ShopEventRefused; the caller commits or rolls back."""
    now = now or utcnow()
    case = find_by_rma(data["rma"], for_update=True)
    if case is None:
        raise ShopEventRefused(None, "unknown_case", "data.rma", "no return with this RMA")
    problem = _check(kind, case, data)
    if problem:
        raise ShopEventRefused(case, *problem)
    _, target, _ = SHOP_STEPS[kind]
    if kind == "return.in_transit":
        case.return_carrier = data.get("carrier") or case.return_carrier
        case.return_tracking = data.get("tracking_number") or case.return_tracking
    elif kind == "refund.issued":
        case.resolution_type = "refund"
        case.resolution_amount_cents = data["amount_cents"]
    elif kind == "exchange.shipped":
        case.resolution_type = "replacement"
        case.exchange_order = data.get("order_number", "")
        case.exchange_carrier = data.get("carrier", "")
        case.exchange_tracking = data.get("tracking_number", "")
    db.session.add(CaseShopEvent(case=case, event_id=event_id, kind=kind, outcome="applied",
                                 data=_jsonable(data), received_at=now))
    cases.transition(case, target, reason=f"the shop reported {kind}", now=now, notify=notify)
    return case


def record_refusal(event_id, kind, data, refused, now=None):
    """Keep a refused event for the agents, in its own transaction after the event's was rolled back."""
    db.session.add(CaseShopEvent(case_id=refused.case.id if refused.case else None, event_id=event_id or "",
                                 kind=kind or "", outcome="refused", data=_jsonable(data or {}), refusal=refused.code,
                                 error=f"{refused.field}: {refused.message}"[:300], received_at=now or utcnow()))


def _jsonable(data):
    return {k: v.isoformat() if isinstance(v, datetime) else v for k, v in data.items()}


def recent_refusals(now, days=7, limit=20):
    """The shop's events we refused lately, newest first: the agents' queue lists them, unknown RMAs too."""
    return db.session.scalars(
        select(CaseShopEvent).where(CaseShopEvent.outcome == "refused",
                                    CaseShopEvent.received_at >= now - timedelta(days=days))
        .order_by(CaseShopEvent.received_at.desc(), CaseShopEvent.id.desc()).limit(limit)).all()


def shop_events(case):
    """The shop's confirmations and refused events about the case, newest first."""
    return sorted(case.shop_events, key=lambda e: (e.received_at, e.id or 0), reverse=True)


# ---- The deadline -----------------------------------------------------------------------------------------

def still_waiting(case, deadline):
    """Still waiting for a parcel nobody said was sent, under the label whose `deadline` (ISO) the job was
    scheduled for: the outbox runs the job when it is due, and a newer label has its own jobs."""
    return (case.status == "awaiting_item" and not case.return_tracking and case.drop_off_due is not None
            and case.drop_off_due.isoformat() == deadline)


def expire(case, deadline, now=None):
    """Close a return whose parcel never left (the customer may reopen it); True when it did."""
    if not still_waiting(case, deadline):
        return False
    cases.transition(case, "expired", reason="the parcel was not sent by the drop-off deadline", now=now)
    return True
