"""The audit log as one list: account and sign-in rows (audit_log) beside every change to a case (case_events).

A reveal of a customer's contact details is written to both tables; the list shows it once, from the case.
"""

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import and_, or_, select

from portal import settings
from portal.admin.forms import ROLE_LABELS
from portal.agent.forms import URGENCY_CHOICES
from portal.extensions import db
from portal.i18n import gettext, ngettext
from portal.i18n import lazy_gettext as _l
from portal.labels import STATUS_LABELS
from portal.models import AuditEntry, Case, CaseEvent, Customer, Staff

PAGE_SIZE = 200
CSV_LIMIT = 100_000

KINDS = {
    "signin": _l("Staff sign-ins"),
    "accounts": _l("Staff accounts"),
    "settings": _l("Settings"),
    "shop": _l("Webhooks to the shop"),
    "knowledge": _l("Help content"),
    "case": _l("Case changes"),
    "reveal": _l("Contact details shown"),
    "customer": _l("Customers' own actions"),
}
ACCOUNT_ACTIONS = ("staff.invited", "staff.joined", "staff.password_reset", "staff.role_changed",
                   "staff.deactivated", "staff.reactivated", "staff.2fa_enabled")
SIGNIN_ACTIONS = ("staff.signin", "staff.signin_failed", "staff.password_ok", "staff.2fa_failed")
# Leads' edits of articles, synonyms, canned replies and intent cards (portal/lead/knowledge.py).
KNOWLEDGE_PREFIXES = ("article.", "synonym.", "canned_reply.", "intent.")
KNOWLEDGE_NAMES = {"article": _l("Article"), "synonym": _l("Synonym"), "canned_reply": _l("Canned reply"),
                   "intent": _l("Intent card")}
KNOWLEDGE_FIELDS = {
    "slug": _l("Address"), "title": _l("Title"), "locale": _l("Language"), "category": _l("Category"),
    "scenario": _l("Scenario"), "keywords": _l("Keywords"), "body": _l("Text"), "published": _l("Published"),
    "translation_of": _l("Translation of"), "term": _l("Term"), "expansions": _l("Synonyms"),
    "empathy": _l("Empathy"), "trigger_kind": _l("Kind of trigger"), "trigger": _l("Trigger"),
    "action": _l("Action"), "position": _l("Position"),
}
# Shown with the sign-ins: ending sessions from "Your sessions".
SESSION_ACTIONS = ("staff.session_ended", "staff.sessions_ended")
ACTION_LABELS = {
    "staff.signin": _l("Signed in"),
    "staff.signin_failed": _l("Sign-in failed"),
    "staff.password_ok": _l("Password accepted, code asked"),
    "staff.2fa_failed": _l("Two-factor code refused"),
    "staff.2fa_enabled": _l("Two-factor sign-in turned on"),
    "staff.session_ended": _l("Signed out one of their sessions"),
    "staff.sessions_ended": _l("Signed out everywhere else"),
    "staff.invited": _l("Invited"),
    "staff.joined": _l("Chose a password from the invitation"),
    "staff.password_reset": _l("Set a new password from a reset link"),
    "staff.role_changed": _l("Role changed"),
    "staff.deactivated": _l("Account switched off"),
    "staff.reactivated": _l("Account switched on"),
    "settings.changed": _l("Setting changed"),
    "shop.endpoint_created": _l("Shop endpoint added"),
    "shop.endpoint_changed": _l("Shop endpoint changed"),
    "shop.delivery_resent": _l("Delivery to the shop sent again"),
    "shop.secret_replaced": _l("Shop endpoint's signing secret replaced"),
    "account.data_exported": _l("Downloaded their data"),
    "account.deletion_requested": _l("Asked to delete their account"),
    "account.deleted": _l("Account deleted"),
    "followup.fixed": _l("Said the problem is fixed"),
    "followup.not_fixed": _l("Said the problem is not fixed"),
}
FIELD_LABELS = {
    "status": _l("Status"), "urgency": _l("Urgency"), "assignee": _l("Assigned to"),
    "contact_revealed": _l("Contact details shown"), "message": _l("Reply sent"),
    "internal_note": _l("Internal note added"), "callback": _l("Callback done"), "callback_due": _l("Callback moved"),
    "repair_slot": _l("Repair appointment booked"), "callback_slot": _l("Call time chosen"),
    "callback_cancelled": _l("Call cancelled by the customer"),
}
VALUE_LABELS = {"status": STATUS_LABELS, "urgency": dict(URGENCY_CHOICES),
                "contact_revealed": {"email": _l("e-mail address"), "phone": _l("phone number")}}
RECOVERY_NOTE = _l("with a recovery code")
REFERENCE_PATTERN = re.compile(r"^C-[23456789A-HJKMNP-Z]{8}$")


class FilterRefused(ValueError):
    """A filter that cannot be read; `field` names it."""

    def __init__(self, field):
        super().__init__(field)
        self.field = field


@dataclass(frozen=True)
class Filters:
    staff_id: int | None = None
    kind: str = ""
    case_reference: str = ""
    first: date | None = None
    last: date | None = None

    def as_args(self):
        return {key: value for key, value in (
            ("staff", self.staff_id), ("kind", self.kind), ("case", self.case_reference),
            ("from", self.first.isoformat() if self.first else None),
            ("to", self.last.isoformat() if self.last else None)) if value}


def read_filters(args):
    """Filters from a query string; FilterRefused naming the first unreadable one."""
    staff_text = (args.get("staff") or "").strip()
    if staff_text and not (staff_text.isascii() and staff_text.isdigit() and len(staff_text) <= 9):
        raise FilterRefused("staff")
    kind = args.get("kind") or ""
    if kind and kind not in KINDS:
        raise FilterRefused("kind")
    reference = (args.get("case") or "").strip().upper()
    if reference and not REFERENCE_PATTERN.match(reference):
        raise FilterRefused("case")
    first, last = _day(args, "from"), _day(args, "to")
    if first and last and first > last:
        raise FilterRefused("to")
    return Filters(int(staff_text) if staff_text else None, kind, reference, first, last)


def _day(args, name):
    text = (args.get(name) or "").strip()
    if not text:
        return None
    try:
        if len(text) != 10:
            raise ValueError(text)
        return date.fromisoformat(text)
    except ValueError:
        raise FilterRefused(name) from None


@dataclass(frozen=True)
class Row:
    when: datetime
    who: str
    what: str
    case: str
    detail: str


def _between(column, filters):
    conditions = []
    if filters.first:
        conditions.append(column >= datetime.combine(filters.first, time(0), tzinfo=UTC))
    if filters.last:
        conditions.append(column < datetime.combine(filters.last + timedelta(days=1), time(0), tzinfo=UTC))
    return conditions


def _entries(filters, limit):
    if filters.kind in ("case", "reveal"):
        return []
    statement = select(AuditEntry).where(~AuditEntry.action.like("customer.%_revealed"),
                                         *_between(AuditEntry.created_at, filters))
    if filters.staff_id is not None:
        statement = statement.where(AuditEntry.actor_type == "staff", AuditEntry.actor_id == filters.staff_id)
    if filters.kind == "signin":
        statement = statement.where(AuditEntry.action.in_(SIGNIN_ACTIONS + SESSION_ACTIONS))
    elif filters.kind == "accounts":
        statement = statement.where(AuditEntry.action.in_(ACCOUNT_ACTIONS))
    elif filters.kind == "settings":
        statement = statement.where(AuditEntry.action == "settings.changed")
    elif filters.kind == "shop":
        statement = statement.where(AuditEntry.action.like("shop.%"))
    elif filters.kind == "knowledge":
        statement = statement.where(or_(*(AuditEntry.action.like(f"{prefix}%") for prefix in KNOWLEDGE_PREFIXES)))
    elif filters.kind == "customer":
        statement = statement.where(AuditEntry.actor_type == "customer")
    if filters.case_reference:
        statement = statement.join(Case, and_(AuditEntry.target_type == "case", AuditEntry.target_id == Case.id)) \
            .where(Case.reference == filters.case_reference)
    return db.session.scalars(statement.order_by(AuditEntry.created_at.desc(), AuditEntry.id.desc())
                              .limit(limit)).all()


def _events(filters, limit):
    if filters.kind in ("signin", "accounts", "settings", "shop", "knowledge", "customer"):
        return []
    statement = select(CaseEvent, Case.reference).join(Case, CaseEvent.case_id == Case.id) \
        .where(*_between(CaseEvent.created_at, filters))
    if filters.staff_id is not None:
        statement = statement.where(CaseEvent.staff_id == filters.staff_id)
    if filters.kind == "reveal":
        statement = statement.where(CaseEvent.field == "contact_revealed")
    if filters.case_reference:
        statement = statement.where(Case.reference == filters.case_reference)
    return db.session.execute(statement.order_by(CaseEvent.created_at.desc(), CaseEvent.id.desc())
                              .limit(limit)).all()


def _names(staff_ids, customer_ids):
    staff = {s.id: s.email for s in db.session.scalars(select(Staff).where(Staff.id.in_(staff_ids)))} \
        if staff_ids else {}
    customers = {c.id: c.email or str(_l("customer")) for c in
                 db.session.scalars(select(Customer).where(Customer.id.in_(customer_ids)))} if customer_ids else {}
    return staff, customers


def _value(field, value):
    return str(VALUE_LABELS.get(field, {}).get(value, value or "—"))


def _event_detail(event):
    if event.field in ("status", "urgency", "assignee", "callback_due", "repair_slot", "callback_slot"):
        return f"{_value(event.field, event.old_value)} → {_value(event.field, event.new_value)}"
    if event.field == "contact_revealed":
        return _value(event.field, event.new_value)
    return ""


def _knowledge_action(action):
    thing, _, verb = action.rpartition(".")
    if thing not in KNOWLEDGE_NAMES:
        return None
    name = str(KNOWLEDGE_NAMES[thing])
    if verb == "created":
        return gettext("%(thing)s created", thing=name)
    if verb == "changed":
        return gettext("%(thing)s changed", thing=name)
    return gettext("%(thing)s deleted", thing=name) if verb == "deleted" else None


def _knowledge_detail(detail):
    """What was edited: its title (or term, or trigger) and the fields that changed, in words."""
    changes = detail.get("changes") if isinstance(detail.get("changes"), dict) else {}
    name = next((value for field in ("title", "term", "trigger") if field in changes
                 for value in reversed(changes[field]) if value), "")
    fields = ", ".join(str(KNOWLEDGE_FIELDS.get(field, _l("Other field"))) for field in changes)
    return f"{name}: {fields}" if name else fields


def _entry_detail(entry, staff_names):
    detail = entry.detail or {}
    if entry.action.startswith(KNOWLEDGE_PREFIXES):
        return _knowledge_detail(detail)
    if entry.action == "settings.changed":
        key = detail.get("key", "")
        setting = settings.SETTINGS.get(key)
        return f"{setting.label if setting else key}: {settings.describe(key, detail.get('old'))} → " \
               f"{settings.describe(key, detail.get('new'))}"
    if entry.action == "staff.role_changed":
        old, new = (str(ROLE_LABELS.get(detail.get(k), detail.get(k, ""))) for k in ("old", "new"))
        return f"{staff_names.get(entry.target_id, '')}: {old} → {new}"
    if entry.action == "staff.deactivated":
        return f"{staff_names.get(entry.target_id, '')} {', '.join(detail.get('cases', []))}".strip()
    if entry.action in ("staff.invited", "staff.reactivated"):
        return staff_names.get(entry.target_id, "")
    if entry.action.startswith("shop."):
        return " ".join(str(detail.get(key, "")) for key in ("url", "idempotency_key") if detail.get(key))
    if entry.action == "staff.session_ended":
        return ", ".join(part for part in (detail.get("browser"), detail.get("system"), detail.get("ip")) if part)
    if entry.action == "staff.sessions_ended":
        return ngettext("%(num)d session", "%(num)d sessions", int(detail.get("count", 0)))
    if entry.action in SIGNIN_ACTIONS:
        recovery = f" ({RECOVERY_NOTE})" if detail.get("two_factor") == "recovery" else ""
        return f"{detail.get('source', '')}{recovery}"
    return ""


def rows(filters, limit=PAGE_SIZE):
    """The newest `limit` rows that pass the filters, newest first."""
    entries, events = _entries(filters, limit), _events(filters, limit)
    staff_ids = {e.actor_id for e in entries if e.actor_type == "staff"} | \
        {e.target_id for e in entries if e.target_type == "staff"} | {e.staff_id for e, _ in events if e.staff_id}
    customer_ids = {e.actor_id for e in entries if e.actor_type == "customer"}
    staff_names, customer_names = _names(staff_ids - {None}, customer_ids - {None})
    result = []
    for entry in entries:
        who = (staff_names.get(entry.actor_id, "") if entry.actor_type == "staff"
               else customer_names.get(entry.actor_id, "") if entry.actor_type == "customer"
               else str(_l("unknown visitor")) if entry.actor_type == "visitor" else str(_l("system")))
        what = ACTION_LABELS.get(entry.action) or _knowledge_action(entry.action) or _l("Other action")
        result.append(Row(entry.created_at, who, str(what), "", _entry_detail(entry, staff_names)))
    for event, reference in events:
        who = staff_names.get(event.staff_id, "") if event.staff_id else \
            str(_l("customer")) if event.actor_type == "customer" else str(_l("system"))
        detail = _event_detail(event)
        if event.reason:
            detail = f"{detail} ({event.reason[:200]})"
        result.append(Row(event.created_at, who, str(FIELD_LABELS.get(event.field, _l("Case changed"))), reference,
                          detail))
    result.sort(key=lambda row: row.when, reverse=True)
    return result[:limit]
