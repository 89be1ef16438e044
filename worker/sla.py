"""The SLA watch, every minute: warn the leads before a target passes, mark breaches, apologise for late orders.

Each effect happens once: a case's warned/breached columns and an order's late_notified_at are set in the
sweep's own transaction, together with the outbox rows of the e-mails they cause (keyed per case and
target), so a sweep that runs twice, or two sweeps at once, warn once.
"""

from flask import current_app
from sqlalchemy import select

from portal import metrics
from portal.casework import service as cases
from portal.casework.priority import raised_priority
from portal.extensions import db
from portal.formatting import format_datetime
from portal.i18n import force_locale
from portal.i18n import gettext as _
from portal.jobs import schedule
from portal.models import Case, Order, utcnow
from portal.models.cases import OPEN_STATUSES
from portal.orders.service import late_orders_query
from worker.notifications import active_leads, send_to_staff, staff_case_link

TARGETS = ("first_response", "resolution")
BATCH = 1000


def sweep(now=None):
    """One round of the watch; returns a summary for the outbox row's result."""
    now = now or utcnow()
    # Acknowledged cases the customer left unanswered past their first-response target go to a person first.
    handed_over = cases.escalate_overdue_acknowledged(now)
    warned = breached = 0
    watched = db.session.scalars(
        select(Case).where(Case.escalated.is_(True), Case.status.in_(OPEN_STATUSES))
        .order_by(Case.id).limit(BATCH)
    ).all()
    for case in watched:
        for target in TARGETS:
            outcome = _watch(case, target, now)
            warned += outcome == "warning"
            breached += outcome == "breach"
    late = _late_orders(now)
    return f"{handed_over} escalated, {warned} warned, {breached} breached, {late} late orders"


def _clock(case, target):
    """(started, due, done) of one of the case's targets."""
    if target == "first_response":
        return case.escalated_at or case.created_at, case.first_response_due, case.first_response_at is not None
    return case.created_at, case.resolution_due, case.resolved_at is not None


def _watch(case, target, now):
    started, due, done = _clock(case, target)
    if done or due is None or started is None:
        return None
    warned_column, breached_column = f"{target}_warned_at", f"{target}_breached"
    if now >= due and not getattr(case, breached_column):
        setattr(case, breached_column, True)
        if getattr(case, warned_column) is None:
            setattr(case, warned_column, now)
        case.priority = raised_priority(case.priority or 0)
        _tell_leads(case, target, "breach")
        return "breach"
    warn_at = started + (due - started) * current_app.config["SLA_WARN_FRACTION"]
    if now >= warn_at and getattr(case, warned_column) is None and not getattr(case, breached_column):
        setattr(case, warned_column, now)
        _tell_leads(case, target, "warning")
        return "warning"
    return None


def _tell_leads(case, target, kind):
    # Per escalation: a case reopened and escalated again is watched afresh.
    since = int(case.escalated_at.timestamp()) if case.escalated_at else 0
    metrics.sla_events_total.labels(target, kind).inc()
    schedule("sla.warn_lead", case.id, target, kind, key=f"sla:{kind}:{target}:case:{case.id}:{since}")


def _late_orders(now):
    orders = db.session.scalars(late_orders_query(now).where(Order.late_notified_at.is_(None)).limit(BATCH)).all()
    for order in orders:
        order.late_notified_at = now
        schedule("mail.order_late", order.id, key=f"order:late:{order.id}")
    return len(orders)


def warn_leads(case_id, target, kind):
    """E-mail the leads that a case is near (warning) or past (breach) its first-response or resolution target."""
    case = db.session.get(Case, case_id)
    leads = active_leads()
    if case is None or not leads:
        return "no case" if case is None else "no leads"
    _started, due, _done = _clock(case, target)
    with force_locale("en"):
        subjects = {
            ("first_response", "warning"): _("Case %(reference)s is close to its first-response target",
                                             reference=case.reference),
            ("first_response", "breach"): _("Case %(reference)s missed its first-response target",
                                            reference=case.reference),
            ("resolution", "warning"): _("Case %(reference)s is close to its resolution target",
                                         reference=case.reference),
            ("resolution", "breach"): _("Case %(reference)s missed its resolution target",
                                        reference=case.reference),
        }
        message = _("Its priority in the agents' queue was raised.") if kind == "breach" else \
            _("Most of the time for this target has passed. Please make sure someone is on it.")
        return send_to_staff(leads, subjects[(target, kind)], "staff_alert", link=staff_case_link(case), case=case,
                             message=message, due=format_datetime(due, "medium", zone="UTC") if due else "")
