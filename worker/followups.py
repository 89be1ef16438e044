"""The check-in 3 days (setting) after a case is resolved: an e-mail, or an agent's callback instead."""

from portal.extensions import db
from portal.i18n import force_locale
from portal.i18n import gettext as _
from portal.models import Case, utcnow
from portal.models.cases import RESOLVED_STATUSES
from portal.surveys import followups, service
from worker.notifications import case_link, deliver


def check_in(case_id):
    """Ask "is it fixed?" with signed Yes/No links; complaints, high urgency, VIPs and churn risks get a call."""
    case = db.session.get(Case, case_id)
    if case is None:
        return "no such case"
    customer = case.customer
    if customer is None or customer.anonymised_at is not None:
        return "no recipient"
    if case.status not in RESOLVED_STATUSES:
        return "case open again"
    now = utcnow()
    reason = followups.callback_reason(case, now)
    if reason:
        callback = followups.ensure_callback(case, reason, now)
        return f"callback {callback.id}: {reason}"
    if customer.feedback_mail_opt_out:
        return "opted out"
    yes_link, no_link = followups.answer_links(case, now)
    with force_locale(customer.locale):
        return deliver(customer, "followup", _("Is your problem with case %(reference)s fixed?",
                                               reference=case.reference),
                       "followup_check", link=case_link(case), headers=service.feedback_headers(customer),
                       case=case, yes_link=yes_link, no_link=no_link,
                       unsubscribe_link=service.unsubscribe_link(customer))
