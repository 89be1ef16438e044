"""The return wizard's rules: what each step accepts, the review, and the submission that opens a case.

A draft (ReturnDraft) keeps what the finished steps chose. Each step is validated when posted and every
step is validated again at submission, against the order as it is then: nothing a browser sends is
trusted because an earlier step once accepted it.
"""

from dataclasses import dataclass, field
from datetime import UTC, datetime, time

from sqlalchemy import func, select

from portal import bookings, shop_events
from portal.casework import photos
from portal.casework import service as cases
from portal.casework.priority import priority
from portal.casework.reasons import Reason
from portal.extensions import db
from portal.i18n import N_
from portal.i18n import lazy_gettext as _l
from portal.models import Case, CaseAttachment, CaseItem, Order, ReturnDraft, utcnow
from portal.numbers import parse_int
from portal.returns import parcel, policy
from portal.returns.policy import REASONS

MAX_DESCRIPTION = 2000
MAX_EXCHANGE_CHARS = 120
OUTCOMES = ("refund", "store_credit", "exchange", "repair")
OUTCOME_KIND = {"refund": "return", "store_credit": "return", "exchange": "exchange", "repair": "repair"}
REFUND_METHOD = {"refund": "original", "store_credit": "store_credit"}
STEPS = (1, 2, 3, 4)
SLOT_TAKEN = _l("Sorry, someone has just booked the last place at that time. Please choose another time.")
# Why step 3 offers no repair: (the hint under the greyed choice, the error for a repair sent all the same).
REPAIR_REFUSALS = {
    "category": (_l("We repair electronics and appliances only."),
                 _l("We repair electronics and appliances only. Please choose another option.")),
    "reason": (_l("A repair is for an item that is faulty or arrived damaged."),
               _l("A repair is for an item that is faulty or arrived damaged. Please choose another option.")),
}
# Statuses in which an earlier request still holds its items (a rejected one gave them back).
HOLDING_STATUSES = ("submitted", "needs_review", "escalated", "answered", "approved", "awaiting_item",
                    "received", "refunded", "exchanged", "repaired", "resolved", "reopened", "closed")


class StepInvalid(ValueError):
    """What is wrong with a step, by field, in words the customer reads."""

    def __init__(self, step, errors, too_large=False, conflict=False):
        super().__init__(f"step {step}")
        self.step = step
        self.errors = errors
        self.too_large = too_large
        self.conflict = conflict  # someone else took what the customer chose (a repair slot's last seat)


@dataclass
class Line:
    item: object
    decision: policy.Decision
    available: int  # bought minus what earlier requests already hold
    qty: int = 0

    @property
    def choosable(self):
        """Whether step 1 lets the customer choose it: some left to return, and the policy allows it or lets
        them ask anyway."""
        return self.available > 0 and (self.decision.eligible or self.decision.may_ask_anyway)


@dataclass
class Review:
    lines: list
    reason: str
    outcome: str
    fee_cents: int
    customer_pays_shipping: bool
    value_cents: int
    refund_cents: int
    refund_days: int | None
    automatic: bool
    review_reasons: list = field(default_factory=list)

    @property
    def kind(self):
        return OUTCOME_KIND[self.outcome]


# ---- Drafts -------------------------------------------------------------------------------------------

def draft_for(customer, order):
    """The customer's draft for this order, or None."""
    draft = db.session.scalar(select(ReturnDraft).where(ReturnDraft.customer_id == customer.id))
    return draft if draft is not None and draft.order_id == order.id else None


def _save(customer, order, step, values):
    draft = db.session.scalar(select(ReturnDraft).where(ReturnDraft.customer_id == customer.id))
    if draft is not None and draft.order_id != order.id:
        photos.discard(p["name"] for p in draft.data.get("photos", []))
        db.session.delete(draft)
        db.session.flush()
        draft = None
    if draft is None:
        draft = ReturnDraft(customer_id=customer.id, order_id=order.id, data={})
        db.session.add(draft)
    data = dict(draft.data or {})
    data.update(values)
    # A changed step invalidates the steps after it: they are chosen again.
    data["done"] = sorted({s for s in data.get("done", []) if s < step} | {step})
    draft.data = data
    draft.updated_at = utcnow()
    return draft


def first_unfinished_step(draft, step):
    """The first step before `step` that the draft has not finished, or None when `step` may be shown."""
    done = set((draft.data or {}).get("done", [])) if draft is not None else set()
    return next((s for s in STEPS if s < step and s not in done), None)


def discard_draft(draft):
    photos.discard(p["name"] for p in (draft.data or {}).get("photos", []))
    db.session.delete(draft)


# ---- Step 1: items --------------------------------------------------------------------------------------

def already_requested(order):
    """{order item id: quantity} held by the order's earlier return requests."""
    rows = db.session.execute(
        select(CaseItem.order_item_id, func.sum(CaseItem.qty)).join(Case, CaseItem.case_id == Case.id)
        .where(Case.order_id == order.id, Case.status.in_(HOLDING_STATUSES), Case.kind != "complaint")
        .group_by(CaseItem.order_item_id)
    ).all()
    return {item_id: int(qty) for item_id, qty in rows}


def lines(order, today, reason=None, chosen=None, opened=None):
    """Every item of the order with the policy's decision and how many may still be returned."""
    held = already_requested(order)
    chosen = chosen or {}
    return [Line(item, policy.evaluate(order, item, reason, today, opened=opened),
                 max(0, item.qty - held.get(item.id, 0)), chosen.get(str(item.id), 0))
            for item in order.items]


def _parse_qty(raw):
    # Posted fields are text; a saved draft gives back the ints it stored.
    raw = str(raw)
    return parse_int(raw) if raw.strip() else 0


def check_items(order, raw, today):
    """{order item id (str): qty} from the posted `qty-<id>` fields, or StepInvalid."""
    by_id = {str(line.item.id): line for line in lines(order, today)}
    chosen, errors = {}, {}
    for key, value in raw.items():
        if not key.startswith("qty-"):
            continue
        item_id = key[len("qty-"):]
        qty = _parse_qty(value)
        line = by_id.get(item_id)
        if line is None:
            errors["items"] = _l("One of the items you chose is not part of this order.")
        elif qty is None or qty < 0:
            errors[key] = _l("Please enter a whole number.")
        elif qty > line.available:
            errors[key] = _l("You can return at most %(count)s of this item.", count=line.available)
        elif qty and not (line.decision.eligible or line.decision.may_ask_anyway):
            errors[key] = line.decision.reason
        elif qty:
            chosen[item_id] = qty
    if not chosen and not errors:
        errors["items"] = _l("Please choose at least one item to return.")
    if errors:
        raise StepInvalid(1, errors)
    return chosen


def save_items(customer, order, raw, today):
    return _save(customer, order, 1, {"items": check_items(order, raw, today)})


# ---- Step 2: reason, description, photos ---------------------------------------------------------------

def needs_opened_answer(order, chosen):
    return any(str(item.id) in chosen and item.category in policy.SEALED_CATEGORIES for item in order.items)


def check_reason(order, chosen, reason, description, opened, today):
    """(reason, description, opened) or StepInvalid: every chosen item must be returnable for the reason."""
    errors = {}
    description = (description or "").replace("\r\n", "\n").strip()
    if reason not in REASONS:
        errors["reason"] = _l("Please choose a reason from the list.")
    if len(description) > MAX_DESCRIPTION:
        errors["description"] = _l("Please keep the description under %(count)s characters.", count=MAX_DESCRIPTION)
    if reason in policy.QUALITY_REASONS and len(description) < 10:
        errors["description"] = _l("Please describe the problem in a few words, so that we can help.")
    if not needs_opened_answer(order, chosen):
        opened = None
    elif reason in REASONS and REASONS[reason].window == "change_of_mind" and opened is None:
        errors["opened"] = _l("Please tell us whether the cosmetics are unopened.")
    if not errors:
        for line in lines(order, today, reason, chosen, opened):
            if line.qty and not (line.decision.eligible or line.decision.may_ask_anyway):
                errors["reason"] = _l("%(item)s cannot be returned for this reason: %(why)s",
                                      item=line.item.name, why=line.decision.reason)
                break
    if errors:
        raise StepInvalid(2, errors)
    return reason, description, opened


def store_photos(uploads, kept):
    """Stored photos for the new uploads, all or none; StepInvalid names the first refused file."""
    try:
        return [p.as_dict() for p in photos.store_all(uploads, already=len(kept))]
    except photos.PhotoRefused as refused:
        raise StepInvalid(2, {"photos": refused.message}, too_large=refused.too_large) from None


def save_reason(customer, order, draft, form, uploads, today):
    chosen = draft.data.get("items", {})
    reason, description, opened = check_reason(order, chosen, form.get("reason"), form.get("description"),
                                               _opened(form.get("opened")), today)
    remove = set(form.getlist("remove_photo"))
    kept = [p for p in draft.data.get("photos", []) if p["name"] not in remove]
    added = store_photos(uploads, kept)
    photos.discard(p["name"] for p in draft.data.get("photos", []) if p["name"] in remove)
    return _save(customer, order, 2, {"reason": reason, "description": description, "opened": opened,
                                      "photos": kept + added})


def _opened(raw):
    return {"yes": True, "no": False}.get(raw)


# ---- Step 3: what the customer wants ---------------------------------------------------------------------

def repair_refusal(order, chosen, reason):
    """Why no repair may be chosen for the items of step 1 ({order item id (str): qty}) and the reason of step 2
    (a key of REPAIR_REFUSALS), or None when it may."""
    return policy.repair_refusal([item for item in order.items if str(item.id) in chosen], reason)


def repair_slots(now, zone_name):
    """Free repair appointments from the settings' calendar, daytime ones for the customer's zone first."""
    return bookings.free_slots("repair", now, zone_name)


def check_outcome(outcome, exchange_for, repair_slot, now, zone_name, repair_refused, must_be_free=False):
    """The outcome step's answers; a repair only when not `repair_refused` (see repair_refusal), at a time that is
    one of the slots (and still free at step 3: the seat itself is taken at submission, where the database
    decides)."""
    errors = {}
    exchange_for = " ".join((exchange_for or "").split())
    slot = None
    if outcome not in OUTCOMES:
        errors["outcome"] = _l("Please choose what you would like from the list.")
    elif outcome == "exchange" and not exchange_for:
        errors["exchange_for"] = _l("Please tell us which size or colour you would like instead.")
    elif outcome == "exchange" and len(exchange_for) > MAX_EXCHANGE_CHARS:
        errors["exchange_for"] = _l("Please keep this under %(count)s characters.", count=MAX_EXCHANGE_CHARS)
    elif outcome == "repair" and repair_refused:
        errors["outcome"] = REPAIR_REFUSALS[repair_refused][1]
    elif outcome == "repair":
        slot = bookings.parse_slot(repair_slot)
        offered = {start for start, _end in bookings.slot_times("repair", now)}
        if slot not in offered:
            slot = None
            errors["repair_slot"] = _l("Please choose one of the appointment times offered.")
        elif must_be_free and slot not in {free.start for free in bookings.free_slots("repair", now)}:
            errors["repair_slot"] = SLOT_TAKEN
    if errors:
        raise StepInvalid(3, errors, conflict=errors.get("repair_slot") is SLOT_TAKEN)
    return {"outcome": outcome, "exchange_for": exchange_for if outcome == "exchange" else "",
            "repair_slot": slot.isoformat() if slot else ""}


def save_outcome(customer, order, draft, form, now):
    refused = repair_refusal(order, draft.data.get("items", {}), draft.data.get("reason"))
    return _save(customer, order, 3, check_outcome(form.get("outcome"), form.get("exchange_for"),
                                                   form.get("repair_slot"), now, customer.timezone, refused,
                                                   must_be_free=True))


# ---- Step 4: review and submit ----------------------------------------------------------------------------

def review(order, data, today):
    """What the customer is about to ask for, checked again from the start: fees, refund, who decides."""
    chosen = check_items(order, {f"qty-{k}": v for k, v in (data.get("items") or {}).items()}, today)
    reason, _description, opened = check_reason(order, chosen, data.get("reason"), data.get("description"),
                                                data.get("opened"), today)
    outcome = check_outcome(data.get("outcome"), data.get("exchange_for"), data.get("repair_slot"),
                            datetime.combine(today, time(0), tzinfo=UTC), order.customer.timezone,
                            repair_refusal(order, chosen, reason))["outcome"]
    chosen_lines = [line for line in lines(order, today, reason, chosen, opened) if line.qty]
    value = sum(line.item.price_cents * line.qty for line in chosen_lines)
    fee, customer_pays = policy.parcel_fee(order, reason)
    refunding = outcome in REFUND_METHOD
    fee = fee if refunding else 0
    # Kept as English templates with values (like triage's reasons): the agent and the customer each read
    # them in their own language.
    reasons = []
    if not REASONS[reason].automatic:
        reasons.append(Reason("quality_check", N_("a person checks quality problems, with the description "
                                                  "and photos")))
    for line in chosen_lines:
        if not line.decision.eligible:
            reasons.append(Reason("outside_window", N_("%(item)s is outside the return window"),
                                  {"item": line.item.name}))
    if policy.is_high_value(value):
        reasons.append(Reason("high_value", N_("returns of this value are checked by a person")))
    if outcome == "repair":
        reasons.append(Reason("repair", N_("a person confirms the repair appointment")))
    return Review(lines=chosen_lines, reason=reason, outcome=outcome, fee_cents=fee,
                  customer_pays_shipping=customer_pays, value_cents=value,
                  refund_cents=max(0, value - fee) if refunding else 0,
                  refund_days=policy.refund_days(REFUND_METHOD[outcome]) if refunding else None,
                  automatic=not reasons, review_reasons=reasons)


def _urgency(reason, automatic):
    if automatic:
        return "low"
    return {"damaged": "high", "quality": "medium", "wrong_item": "medium"}.get(reason, "low")


def submit(customer, order, draft, now=None):
    """Open the case: approved at once when the policy allows it, otherwise under review by a person."""
    now = now or utcnow()
    data = draft.data or {}
    checked = review(order, data, now.date())
    photo_rows = [p for p in data.get("photos", []) if photos.path_for(p["name"]) is not None]
    urgency = _urgency(checked.reason, checked.automatic)
    case = Case(kind=checked.kind, customer_id=customer.id, order_id=order.id, category=checked.reason,
                description=data.get("description", ""), desired_outcome=checked.outcome,
                refund_method=REFUND_METHOD.get(checked.outcome, ""), exchange_for=data.get("exchange_for", ""),
                repair_slot=datetime.fromisoformat(data["repair_slot"]) if data.get("repair_slot") else None,
                fee_cents=checked.fee_cents, refund_estimate_cents=checked.refund_cents, currency=order.currency,
                urgency=urgency, priority=priority(urgency, False, now, customer.is_vip),
                triage_reasons=[r.as_dict() for r in checked.review_reasons])
    case.items = [CaseItem(order_item_id=line.item.id, qty=line.qty) for line in checked.lines]
    case.attachments = [CaseAttachment(stored_name=p["name"], content_type=p["content_type"],
                                       size_bytes=p["size_bytes"], created_at=now) for p in photo_rows]
    if checked.automatic:
        cases.open_case(case, "approved", "approved by the return policy", now=now)
        parcel.issue_label(case, now)
        shop_events.case_approved(case)
    else:
        cases.open_case(case, "needs_review", "; ".join(str(r) for r in checked.review_reasons), now=now)
    if case.repair_slot is not None:
        db.session.flush()
        try:
            bookings.book("repair", case, case.repair_slot, now=now)
        except bookings.BookingRefused as refused:
            # The whole submission rolls back; the customer chooses again at step 3 from the free times.
            raise StepInvalid(3, {"repair_slot": SLOT_TAKEN if refused.reason == "full" else
                                  _l("Please choose one of the appointment times offered.")},
                              conflict=refused.reason == "full") from None
    db.session.delete(draft)
    return case


def delivered_orders(customer):
    """The customer's delivered orders, newest first: the ones a return can start from."""
    return db.session.scalars(select(Order).where(Order.customer_id == customer.id, Order.status == "delivered")
                              .order_by(Order.delivered_at.desc(), Order.id.desc()).limit(20)).all()


def max_upload_bytes():
    """The request limit for the photo step."""
    return photos.max_request_bytes()


def is_delivered(order):
    return order.status == "delivered" and order.delivered_at is not None

