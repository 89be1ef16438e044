"""Survey invitations after a resolved case, and one reminder if unanswered."""

from flask import current_app

from portal.extensions import db
from portal.formatting import format_date
from portal.i18n import force_locale
from portal.i18n import gettext as _
from portal.jobs import schedule
from portal.models import Case, utcnow
from portal.surveys import service
from worker.notifications import case_link, deliver


def _send(case, survey, reminder):
    customer = case.customer
    with force_locale(customer.locale):
        subject = _("How did we do with case %(reference)s?", reference=case.reference) if not reminder else \
            _("A reminder: how did we do with case %(reference)s?", reference=case.reference)
        return deliver(customer, "survey_reminder" if reminder else "survey", subject, "survey_invite",
                       link=case_link(case), headers=service.feedback_headers(customer), case=case,
                       reminder=reminder, rating_links=service.rating_links(case, survey),
                       expires=format_date(survey.expires_at, "long", zone=customer.timezone or "UTC"),
                       unsubscribe_link=service.unsubscribe_link(customer))


def send_invitation(case_id):
    """Invite the customer to rate a resolved case, unless they opted out or were surveyed lately."""
    case = db.session.get(Case, case_id)
    if case is None:
        return "no such case"
    now = utcnow()
    skip = service.skip_reason(case, now)
    if skip:
        return skip
    survey = service.mark_sent(case, now)
    message_id = _send(case, survey, reminder=False)
    schedule("survey.reminder", case.id, key=f"survey:reminder:case:{case.id}",
             not_before=now + current_app.config["SURVEY_REMINDER_DELAY"])
    return message_id


def send_reminder(case_id):
    """The one reminder, if the survey is still unanswered and open."""
    case = db.session.get(Case, case_id)
    if case is None:
        return "no such case"
    now = utcnow()
    survey = service.survey_for(case)
    skip = service.reminder_skip_reason(case, survey, now)
    if skip:
        return skip
    survey.reminder_sent_at = now
    return _send(case, survey, reminder=True)
