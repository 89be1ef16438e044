"""The reminder the day before a booked repair appointment or agent's call."""

from portal import hours
from portal.extensions import db
from portal.formatting import format_datetime
from portal.i18n import force_locale
from portal.i18n import gettext as _
from portal.models import Booking, utcnow
from worker.notifications import case_link, deliver


def send_reminder(booking_id, slot_start):
    """Remind the customer of tomorrow's appointment; nothing when it was cancelled, moved or has passed."""
    booking = db.session.get(Booking, booking_id)
    if booking is None or booking.slot_start.isoformat() != slot_start:
        return "cancelled or moved"  # a moved booking has its own reminder
    if booking.slot_start <= utcnow():
        return "already passed"
    case, customer = booking.case, booking.customer
    if customer is None or customer.anonymised_at is not None:
        return "no recipient"
    zone = hours.zone_named(customer.timezone or "UTC")
    with force_locale(customer.locale):
        when = format_datetime(booking.slot_start, "full", zone=zone)
        if booking.kind == "repair":
            subject = _("Reminder: your repair appointment for case %(reference)s", reference=case.reference)
            message = _("This is a reminder of your repair appointment on %(time)s.", time=when)
        else:
            subject = _("Reminder: we will call you about case %(reference)s", reference=case.reference)
            message = _("One of our team will call you on %(time)s at %(phone)s.", time=when,
                        phone=booking.callback.phone if booking.callback else customer.phone)
        return deliver(customer, f"booking_{booking.kind}_reminder", subject, "booking_reminder",
                       link=case_link(case), case=case, message=message,
                       zone=hours.zone_label(customer.timezone or "UTC", customer.locale, booking.slot_start))
