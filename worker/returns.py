"""A return's drop-off deadline: one reminder before it, and past it the return closes (the customer may reopen).

Both are scheduled when the label is issued (portal/returns/parcel.py) and re-read the case: a parcel sent,
received or a return otherwise moved on meanwhile makes them do nothing.
"""

from portal.extensions import db
from portal.formatting import format_date
from portal.i18n import force_locale
from portal.i18n import gettext as _
from portal.models import Case
from portal.returns import parcel
from worker.notifications import case_link, deliver


def send_reminder(case_id, deadline):
    """Remind the customer to drop the parcel off before the deadline, unless they sent it already."""
    case = db.session.get(Case, case_id)
    if case is None or not parcel.still_waiting(case, deadline):
        return "nothing to remind"
    customer = case.customer
    if customer is None or customer.anonymised_at is not None:
        return "no recipient"
    with force_locale(customer.locale):
        date = format_date(case.drop_off_due.date(), "long")
        subject = _("Please drop off your return %(reference)s by %(date)s", reference=case.reference, date=date)
        return deliver(customer, "return_reminder", subject, "return_reminder", link=case_link(case), case=case,
                       date=date)


def expire(case_id, deadline):
    """Close a return whose parcel was not sent by its deadline; the status change e-mails the customer."""
    case = db.session.get(Case, case_id)
    if case is None:
        return "no such case"
    return "expired" if parcel.expire(case, deadline) else "moved on"
