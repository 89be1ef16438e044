"""The customer's cases: the list, one case's page, replying, asking for a person, reopening, photos, and
booking, moving or cancelling a repair appointment or an agent's call."""

from datetime import timedelta

from flask import abort, current_app, flash, redirect, render_template, request, send_file, url_for

from portal import bookings, hours, labels
from portal.auth.customers import current_customer, customer_required
from portal.auth.staff import current_staff
from portal.cases import bp
from portal.casework import photos, service
from portal.casework.reasons import Reason
from portal.extensions import db
from portal.formatting import format_date
from portal.help import service as help_service
from portal.i18n import gettext as _
from portal.i18n import locale_tag, ngettext
from portal.models import CaseAttachment, utcnow
from portal.returns import label, parcel, policy
from portal.surveys import followups
from portal.web import no_store, render_fragment

REFUSALS = {
    "empty": lambda: _("Please write a message before sending."),
    "too long": lambda: _("A message may be at most %(count)s characters.", count=service.MAX_MESSAGE_CHARS),
    "resolved": lambda: _("This case is resolved. Reopen it if the problem is back."),
    "not acknowledged": lambda: _("This case is already with a person."),
    "cannot reopen": lambda: _("This case can no longer be reopened. Please file a new complaint."),
}
PARCEL_REFUSALS = {
    "tracking": lambda: _("Please enter the tracking number from the carrier's receipt (4 to 40 letters and "
                          "digits)."),
    "carrier": lambda: _("Please keep the carrier's name under %(count)s characters.",
                         count=parcel.MAX_CARRIER_CHARS),
    "status": lambda: _("This return is no longer waiting for your parcel."),
}


def reason_text(reason):
    """A stored triage or review reason (template and values) in the reader's language."""
    if isinstance(reason, str):
        return reason
    if isinstance(reason, Reason):
        reason = reason.as_dict()
    template = reason.get("template")
    if not template:
        return reason.get("text", "")
    params = labels.triage_params(reason.get("code"), reason.get("params") or {})
    if reason.get("plural"):
        values = {name: value for name, value in params.items() if name != "num"}  # ngettext fills in num
        return ngettext(template, reason["plural"], params.get("num", 0), **values)
    return _(template, **params)


def get_case_for_customer_or_404(reference):
    """The signed-in customer's own case; the same 404 for a case that does not exist and one that is not theirs."""
    case = service.find_by_reference(reference)
    customer = current_customer()
    if case is None or customer is None or case.customer_id != customer.id:
        abort(404)
    return case


def _page_context(case, message_error=None, draft="", sent_error=None, sent_form=None):
    now = utcnow()
    return {
        "sent_error": sent_error,
        "sent_form": sent_form or {},
        "case": case,
        "labels": labels,
        "events": service.timeline(case),
        "messages": service.visible_messages(case),
        "can_reopen": service.can_reopen(case, now),
        "reopen_days": current_app.config["REOPEN_WINDOW_DAYS"],
        # Only a change of mind from abroad has the customer pay the postage back; a size or a fault does not.
        "pays_return_shipping": bool(case.order and case.order.cross_border
                                     and policy.parcel_fee(case.order, case.category)[1]),
        "answer_soon": case.first_response_due is not None and case.first_response_due - now < timedelta(hours=20),
        "message_error": message_error,
        "draft": draft,
        "suggested": _suggested_articles(case),
        "appointments": _appointments(case),
    }


def _suggested_articles(case):
    # An acknowledged case is answered by articles first: the ones matching what the customer wrote.
    if case.status != "acknowledged":
        return []
    return help_service.search_articles(case.description, locale_tag(), 3).hits


@bp.get("")
@customer_required
def index():
    """The signed-in customer's cases, newest first."""
    return no_store(render_template("cases/index.html", cases=service.cases_for(current_customer()),
                                    labels=labels))


@bp.get("/<reference>")
@customer_required
def detail(reference):
    """One case: status, what happens next, timeline, conversation, and what the customer can do."""
    case = get_case_for_customer_or_404(reference)
    return no_store(render_template("cases/detail.html", **_page_context(case)))


@bp.post("/<reference>/messages")
@customer_required
def reply(reference):
    """The customer's reply; with htmx only the conversation is swapped."""
    case = get_case_for_customer_or_404(reference)
    body = request.form.get("body", "")
    try:
        service.customer_reply(case, body)
    except service.ActionRefused as refused:
        db.session.rollback()
        response = render_fragment("cases/detail.html", "cases/_conversation.html",
                                   **_page_context(case, REFUSALS[str(refused)](), draft=body[:20000]))
        response.status_code = 400
        return no_store(response)
    db.session.commit()
    if request.headers.get("HX-Request"):
        return no_store(render_fragment("cases/detail.html", "cases/_conversation.html", **_page_context(case)))
    flash(_("Your message is on your case."), "success")
    return redirect(url_for("cases.detail", reference=case.reference, _anchor="conversation"), 303)


def _customer_action(reference, action, done_message):
    case = get_case_for_customer_or_404(reference)
    try:
        action(case)
    except service.ActionRefused as refused:
        db.session.rollback()
        flash(REFUSALS[str(refused)](), "warning")
        return redirect(url_for("cases.detail", reference=case.reference), 303)
    db.session.commit()
    flash(done_message, "success")
    return redirect(url_for("cases.detail", reference=case.reference), 303)


@bp.post("/<reference>/help")
@customer_required
def ask_for_a_person(reference):
    """"I still need help": an acknowledged case goes to a person now."""
    return _customer_action(reference, service.ask_for_a_person,
                            _("Your case is now with a person. We will answer as soon as we can."))


@bp.post("/<reference>/solved")
@customer_required
def solved(reference):
    """"This solved it": the customer closes their own acknowledged case."""
    return _customer_action(reference, service.mark_solved, _("Glad that helped. Your case is resolved."))


@bp.post("/<reference>/reopen")
@customer_required
def reopen(reference):
    """Reopen a resolved case within the reopen window."""
    return _customer_action(reference, lambda case: service.reopen(case, request.form.get("reason", "")[:2000]),
                            _("Your case is open again and back with a person."))


@bp.post("/<reference>/sent")
@customer_required
def parcel_sent(reference):
    """"I've sent it": the carrier's tracking number of the parcel back; with htmx only the return panel swaps."""
    case = get_case_for_customer_or_404(reference)
    try:
        parcel.mark_sent(case, request.form.get("tracking", ""), request.form.get("carrier", ""))
    except parcel.ParcelRefused as refused:
        db.session.rollback()
        form = {"tracking": request.form.get("tracking", "")[:80], "carrier": request.form.get("carrier", "")[:80]}
        response = render_fragment("cases/detail.html", "cases/_return.html",
                                   **_page_context(case, sent_error=PARCEL_REFUSALS[refused.code](), sent_form=form))
        response.status_code = 409 if refused.code == "status" else 400
        return no_store(response)
    db.session.commit()
    if request.headers.get("HX-Request"):
        return no_store(render_fragment("cases/detail.html", "cases/_return.html", **_page_context(case)))
    flash(_("Thank you. We will tell you when your parcel arrives."), "success")
    return redirect(url_for("cases.detail", reference=case.reference, _anchor="return-title"), 303)


@bp.get("/<reference>/return-label.pdf")
def return_label(reference):
    """The printable return label, for the case's customer and for staff only; the same 404 for everyone else."""
    case = service.find_by_reference(reference)
    customer = current_customer()
    allowed = case is not None and (current_staff() is not None
                                    or (customer is not None and case.customer_id == customer.id))
    if not allowed or not case.return_label or case.drop_off_due is None:
        abort(404)
    pdf = label.render(case, format_date(case.drop_off_due.date(), "long"))
    response = no_store(pdf)
    response.headers["Content-Type"] = "application/pdf"
    response.headers["Content-Disposition"] = f'inline; filename="return-label-{case.return_label}.pdf"'
    response.headers["X-Content-Type-Options"] = "nosniff"
    return no_store(response)


@bp.get("/<reference>/photos/<int:photo_id>")
def photo(reference, photo_id):
    """A photo on a case, for its customer and for staff only; the same 404 for everyone else."""
    case = service.find_by_reference(reference)
    customer = current_customer()
    allowed = case is not None and (current_staff() is not None
                                    or (customer is not None and case.customer_id == customer.id))
    attachment = db.session.get(CaseAttachment, photo_id) if allowed else None
    if attachment is None or attachment.case_id != case.id:
        abort(404)
    path = photos.path_for(attachment.stored_name)
    if path is None:
        abort(404)
    response = send_file(path, mimetype=attachment.content_type, conditional=True,
                         download_name=f"{case.reference}-{attachment.id}{path.suffix}")
    response.headers["Content-Disposition"] = f'inline; filename="{case.reference}-{attachment.id}{path.suffix}"'
    response.headers["X-Content-Type-Options"] = "nosniff"
    return no_store(response)


# ---- Appointments: a repair visit, a call from an agent ----------------------------------------------------------

BOOKING_REFUSALS = {
    "full": (409, lambda: _("Sorry, someone has just booked the last place at that time. Please choose another "
                            "time.")),
    "not_offered": (400, lambda: _("Please choose one of the times offered.")),
    "closed": (409, lambda: _("This case can no longer be booked.")),
    "phone": (400, lambda: _("Please give a phone number we can call, like +1 555 0100.")),
    "no_call": (409, lambda: _("There is no call to cancel.")),
}


def _appointments(case, error_kind=None, error=None, form=None, done=None):
    """What the appointments card shows: each kind's booking, whether it can be booked, and the free slots."""
    now, zone = utcnow(), current_customer().timezone
    repair = bookings.booking_for("repair", case) if case.kind == "repair" else None
    call = bookings.booking_for("callback", case)
    callback = followups.open_callback(case)
    can_book_repair = bookings.can_book_repair(case)
    can_book_call = callback is not None or followups.can_ask_for_call(case)
    return {
        "repair": repair, "call": call, "callback": callback,
        "can_book_repair": can_book_repair, "can_book_call": can_book_call,
        "repair_days": bookings.by_day(bookings.free_slots("repair", now, zone)) if can_book_repair else [],
        "call_days": bookings.by_day(bookings.free_slots("callback", now, zone)) if can_book_call else [],
        "zone": hours.zone_label(zone, locale_tag(), now),
        "error_kind": error_kind, "error": error, "form": form or {}, "done": done,
        "phone": (form or {}).get("phone") or (callback.phone if callback else "") or current_customer().phone or "",
    }


def _appointments_response(case, status=200, **state):
    context = dict(_page_context(case), appointments=_appointments(case, **state))
    response = no_store(render_fragment("cases/detail.html", "cases/_appointments.html", **context))
    response.status_code = status
    return response


def _appointment_kind_or_404(kind):
    if kind not in bookings.KINDS:
        abort(404)
    return kind


@bp.post("/<reference>/appointments/<kind>")
@customer_required
def book_appointment(reference, kind):
    """Book, or move, the case's repair appointment or the agent's call to one of the free slots."""
    case, kind = get_case_for_customer_or_404(reference), _appointment_kind_or_404(kind)
    start = bookings.parse_slot(request.form.get("slot"))
    try:
        if start is None:
            raise bookings.BookingRefused("not_offered")
        if kind == "repair":
            bookings.book("repair", case, start)
        else:
            followups.book_call(case, start, request.form.get("phone", "")[:200])
    except (bookings.BookingRefused, followups.CallbackRefused) as refused:
        db.session.rollback()
        status, message = BOOKING_REFUSALS[refused.reason]
        form = {"slot": request.form.get("slot", "")[:40], "phone": request.form.get("phone", "")[:40]}
        return _appointments_response(case, status, error_kind=kind, error=message(), form=form)
    db.session.commit()
    done = _("Your repair appointment is booked.") if kind == "repair" else _("Your call is booked.")
    return _appointment_done(case, done)


@bp.post("/<reference>/appointments/<kind>/cancel")
@customer_required
def cancel_appointment(reference, kind):
    """Cancel the case's repair appointment or the agent's call; the place goes back to other customers."""
    case, kind = get_case_for_customer_or_404(reference), _appointment_kind_or_404(kind)
    try:
        if kind == "repair":
            if bookings.cancel("repair", case) is None:
                raise bookings.BookingRefused("not_offered")
        else:
            followups.cancel_call(case)
    except (bookings.BookingRefused, followups.CallbackRefused) as refused:
        db.session.rollback()
        status, message = BOOKING_REFUSALS[refused.reason]
        return _appointments_response(case, status, error_kind=kind, error=message())
    db.session.commit()
    done = _("Your repair appointment is cancelled.") if kind == "repair" else _("Your call is cancelled.")
    return _appointment_done(case, done)


def _appointment_done(case, message):
    if request.headers.get("HX-Request"):
        return _appointments_response(case, done=message)
    flash(message, "success")
    return redirect(url_for("cases.detail", reference=case.reference, _anchor="appointments"), 303)
