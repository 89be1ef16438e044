"""Words for every stored code a person may read (case kind, status, urgency, category, reason, resolution,
timeline events, callback reasons), in the reader's language. Pages never show the codes themselves."""

import re
from dataclasses import dataclass

from sqlalchemy import select

from portal.complaints.forms import CATEGORY_LABELS as COMPLAINT_CATEGORY_LABELS
from portal.complaints.forms import OUTCOME_LABELS as COMPLAINT_OUTCOME_LABELS
from portal.extensions import db
from portal.help.views import CATEGORY_LABELS as ARTICLE_CATEGORY_LABELS
from portal.i18n import gettext as _
from portal.i18n import lazy_gettext as _l
from portal.models import Case, Order
from portal.orders.service import EVENT_LABELS as SHIPMENT_EVENT_LABELS
from portal.orders.service import STATUS_LABELS as ORDER_STATUS_LABELS
from portal.returns.policy import REASONS as RETURN_REASONS

KIND_LABELS = {
    "return": _l("Return"),
    "exchange": _l("Exchange"),
    "repair": _l("Repair"),
    "complaint": _l("Complaint"),
}

STATUS_LABELS = {
    "submitted": _l("Request received"),
    "acknowledged": _l("Acknowledged"),
    "needs_review": _l("Under review"),
    "escalated": _l("With a person"),
    "answered": _l("Answered"),
    "approved": _l("Approved"),
    "awaiting_item": _l("Waiting for your parcel"),
    "item_in_transit": _l("On its way back"),
    "received": _l("Parcel received"),
    "refunded": _l("Refunded"),
    "exchanged": _l("Exchanged"),
    "repaired": _l("Repaired"),
    "rejected": _l("Not approved"),
    "expired": _l("Closed: not sent back in time"),
    "resolved": _l("Resolved"),
    "reopened": _l("Reopened"),
    "closed": _l("Closed"),
}

# What a customer chose in the return wizard.
OUTCOME_LABELS = {
    "refund": _l("Refund to your original payment method"),
    "store_credit": _l("Store credit"),
    "exchange": _l("Exchange for another size or colour"),
    "repair": _l("Repair"),
}

URGENCY_LABELS = {"high": _l("High"), "medium": _l("Medium"), "low": _l("Low")}

RESOLUTION_LABELS = {
    "refund": _l("Refund"),
    "replacement": _l("Replacement"),
    "repair_booked": _l("Repair booked"),
    "coupon": _l("Compensation coupon"),
    "explanation": _l("Explanation only"),
}

RETURN_REASON_LABELS = {code: rule.label for code, rule in RETURN_REASONS.items()}
# A case's category on the dashboard, whichever form the customer filed it through.
CASE_CATEGORY_LABELS = {**RETURN_REASON_LABELS, **COMPLAINT_CATEGORY_LABELS}

CALLBACK_REASON_LABELS = {
    "complaint": _l("After a complaint"),
    "high_urgency": _l("Urgent case"),
    "vip": _l("VIP customer"),
    "churn_risk": _l("Customer may leave us"),
    "low_rating": _l("Low survey rating"),
    "not_fixed": _l("Problem not fixed"),
    "requested": _l("The customer asked for a call"),
}

# What the shop told us about a return (portal/orders/feed.py), and whether we applied it.
SHOP_EVENT_LABELS = {
    "return.in_transit": _l("Return parcel scanned by the carrier"),
    "return.received": _l("Return parcel received by the shop"),
    "refund.issued": _l("Refund issued by the shop"),
    "exchange.shipped": _l("Replacement shipped by the shop"),
    "repair.completed": _l("Repair completed by the shop"),
}
SHOP_EVENT_OUTCOME_LABELS = {"applied": _l("Applied"), "refused": _l("Refused")}
SHOP_REFUSAL_LABELS = {
    "unknown_case": _l("no return has this RMA"),
    "wrong_kind": _l("it does not apply to this kind of request"),
    "already": _l("this step was already confirmed"),
    "out_of_order": _l("it came before the step it follows"),
    "currency": _l("a different currency from the order's"),
    "amount": _l("more than the refundable amount"),
}
REFUND_METHOD_LABELS = {
    "original": _l("to the original payment method"),
    "store_credit": _l("as store credit"),
    "bank_transfer": _l("by bank transfer"),
    "other": _l("another way"),
}

ACTOR_LABELS = {"customer": _l("Customer"), "staff": _l("Agent"), "system": _l("System")}

CONTACT_FIELD_LABELS = {"email": _l("e-mail address"), "phone": _l("phone number")}

# Language names are written in their own language, as a language switch shows them.
LOCALE_LABELS = {"en": "English", "zh": "中文"}

TIER_LABELS = {"vip": _l("VIP"), "standard": _l("Standard")}

# The dashboard's row for cases nobody was assigned (agents' own names pass through as they are).
ASSIGNEE_LABELS = {"unassigned": _l("Not assigned")}

TRIGGER_KIND_LABELS = {"phrase": _l("Phrase in a search"), "scenario": _l("Article scenario")}

JOB_LABELS = {
    "mail.welcome": _l("Welcome e-mail"),
    "mail.signin_link": _l("Sign-in link e-mail"),
    "mail.account_delete_confirm": _l("Account deletion e-mail"),
    "mail.order_status": _l("Order status e-mail"),
    "mail.order_late": _l("Late order e-mail"),
    "case.notify": _l("Case update e-mail"),
    "case.escalated": _l("Escalation alert"),
    "survey.invite": _l("Survey invitation"),
    "survey.reminder": _l("Survey reminder"),
    "followup.check": _l("Follow-up check"),
    "return.reminder": _l("Return drop-off reminder"),
    "return.expire": _l("Return drop-off deadline"),
    "sla.warn_lead": _l("Deadline warning to leads"),
    "search.reindex_article": _l("Search update"),
    "mail.staff_invite": _l("Staff invitation e-mail"),
    "mail.staff_reset": _l("Staff password reset e-mail"),
    "mail.staff_signin_alert": _l("Staff sign-in alert e-mail"),
    "booking.reminder": _l("Appointment reminder"),
    "sla.sweep": _l("Deadline check"),
    "lead.rollup_sweep": _l("Dashboard figures update"),
    "inbound.process": _l("Sorting an incoming e-mail"),
    "inbound.answer": _l("Answer to an incoming e-mail"),
    "inbound.files_not_kept": _l("E-mail about files not kept"),
    "cleanup.run": _l("Clean-up of old data"),
    "ops.alert_sweep": _l("Alert check"),
    "ops.alert_mail": _l("Alert e-mail to leads"),
    "shop.deliver": _l("Message to the shop"),
}

# Why a job gave up, from the class of its stored error ("MailError: SMTP ..."); the worker's log keeps the message.
FAILURE_LABELS = {
    "mail": _l("The mail server refused it or could not be reached"),
    "shop": _l("The shop's address did not accept it"),
    "unreachable": _l("A service it needs did not answer"),
    "other": _l("It stopped with an error; the worker's log has the details"),
}
_FAILURE_OF_ERROR = {"MailError": "mail", "DeliveryFailed": "shop", "ConnectionError": "unreachable",
                     "ConnectionRefusedError": "unreachable", "TimeoutError": "unreachable",
                     "OperationalError": "unreachable"}

WORDS = {
    "kind": KIND_LABELS,
    "status": STATUS_LABELS,
    "urgency": URGENCY_LABELS,
    "resolution": RESOLUTION_LABELS,
    "order": ORDER_STATUS_LABELS,
    "shipment": SHIPMENT_EVENT_LABELS,
    "callback": CALLBACK_REASON_LABELS,
    "actor": ACTOR_LABELS,
    "complaint_category": COMPLAINT_CATEGORY_LABELS,
    "return_reason": RETURN_REASON_LABELS,
    "contact": CONTACT_FIELD_LABELS,
    "category": CASE_CATEGORY_LABELS,
    "article_category": ARTICLE_CATEGORY_LABELS,
    "locale": LOCALE_LABELS,
    "tier": TIER_LABELS,
    "trigger_kind": TRIGGER_KIND_LABELS,
    "assignee": ASSIGNEE_LABELS,
    "job": JOB_LABELS,
    "shop_event": SHOP_EVENT_LABELS,
    "shop_event_outcome": SHOP_EVENT_OUTCOME_LABELS,
    "shop_refusal": SHOP_REFUSAL_LABELS,
    "refund_method": REFUND_METHOD_LABELS,
    "failure": FAILURE_LABELS,
}


def label(code, kind):
    """A stored code of the given kind in words; an unknown code as it is (free text stored in the same place)."""
    return WORDS.get(kind, {}).get(code, code)


def failure(error):
    """The kind of a job's stored error ("MailError: ...", or a traceback ending in one), a FAILURE_LABELS key;
    "" when there is none."""
    if not error:
        return ""
    lines = error.strip().splitlines() or [""]
    for line in (lines[0], lines[-1]):
        name = line.split(":", 1)[0].strip().rsplit(".", 1)[-1]
        if name.startswith("SMTP"):
            return "mail"
        if name in _FAILURE_OF_ERROR:
            return _FAILURE_OF_ERROR[name]
    return "other"


_HTTP_STATUS = re.compile(r"^DeliveryFailed: HTTP (\d{3})\b")


def failure_text(error):
    """Why a job failed, in words; a shop that answered gets its HTTP status named, which its admin can act on."""
    kind = failure(error)
    status = _HTTP_STATUS.match(error or "")
    if status:
        return _("The shop's address answered with an error (HTTP %(status)s)", status=status[1])
    return str(FAILURE_LABELS[kind]) if kind else ""


# The outbox keys that name what a job was about: "case:12:event:40", "survey:case:12", "order:7:shipped", ...
_SUBJECT_KEY = re.compile(r"^(?:survey:|followup:)?(case|return|order):(\d+)(?::|$)")


@dataclass(frozen=True)
class JobSubject:
    kind: str  # "case" or "order"
    text: str  # the case's reference or the order's number


def job_subjects(keys):
    """{outbox key: the JobSubject its job was about} for the keys that name a case or an order."""
    wanted = {"case": {}, "order": {}}
    for key in keys:
        found = _SUBJECT_KEY.match(key or "")
        if found:
            wanted["order" if found[1] == "order" else "case"][key] = int(found[2])
    references = dict(db.session.execute(select(Case.id, Case.reference).where(
        Case.id.in_(set(wanted["case"].values())))).all()) if wanted["case"] else {}
    numbers = dict(db.session.execute(select(Order.id, Order.number).where(
        Order.id.in_(set(wanted["order"].values())))).all()) if wanted["order"] else {}
    subjects = {key: JobSubject("case", references[i]) for key, i in wanted["case"].items() if i in references}
    subjects.update({key: JobSubject("order", numbers[i]) for key, i in wanted["order"].items() if i in numbers})
    return subjects


def category(kind, code):
    """What a case is about: a complaint's topic, or the reason given for a return, exchange or repair."""
    return label(code, "complaint_category" if kind == "complaint" else "return_reason")


def desired_outcome(kind, code):
    """What the customer asked for (the complaint form and the return wizard offer different lists)."""
    words = COMPLAINT_OUTCOME_LABELS if kind == "complaint" else OUTCOME_LABELS
    return words.get(code, code)


def triage_params(code, params):
    """A triage reason's values as a person reads them: the category it names in words."""
    if code == "category" and "category" in params:
        return {**params, "category": str(label(params["category"], "complaint_category"))}
    return params


def _change(name, event, kind):
    before, after = label(event.old_value, kind), label(event.new_value, kind)
    if before:
        return _("%(what)s: %(before)s → %(after)s", what=name, before=before, after=after)
    return _("%(what)s: %(after)s", what=name, after=after)


def event_text(event):
    """One timeline event as a sentence ("Urgency: Low → High"), never its stored field name."""
    field = event.field
    if field == "status":
        return _change(_("Status"), event, "status")
    if field == "urgency":
        return _change(_("Urgency"), event, "urgency")
    if field == "assignee":
        return _("Assigned to %(who)s", who=event.new_value)
    if field == "message":
        return _("Replied to the customer")
    if field == "internal_note":
        return _("Added an internal note")
    if field == "contact_revealed":
        return _("Revealed the customer's %(field)s", field=label(event.new_value, "contact"))
    if field == "callback":
        return _("Closed the follow-up call")
    if field == "callback_due":
        return _("Moved the follow-up call")
    if field == "return_tracking":
        return _("Gave the return parcel's tracking number: %(number)s", number=event.new_value)
    return _("%(what)s changed", what=field.replace("_", " "))
