"""The return wizard: choose items, say why (with photos), say what you want, review and submit.

Each step is one form; with htmx the form alone is swapped, without it each POST redirects to the next
step. Back is a plain link to the previous step. The draft lives in the database (ReturnDraft).
"""

from datetime import datetime

from flask import abort, flash, make_response, redirect, render_template, request, url_for

from portal import bookings, hours, order_lookup
from portal.auth.customers import current_customer
from portal.casework import photos
from portal.extensions import db
from portal.i18n import gettext as _
from portal.i18n import locale_tag
from portal.models import utcnow
from portal.redirects import safe_next
from portal.returns import bp, policy, service
from portal.web import no_store, render_fragment


def _sign_in_first():
    flash(_("Please sign in to start a return."), "info")
    return redirect(url_for("auth.signin", next=safe_next(request.full_path.rstrip("?"), request.path)), 303)


def _own_order_or_404(number):
    order = order_lookup.find_for_customer(number, current_customer())
    if order is None:
        abort(404)
    return order


def _context(order, step, draft, errors=None, form=None):
    today = utcnow().date()
    data = (draft.data if draft is not None else None) or {}
    context = {"order": order, "step": step, "data": data, "errors": errors or {}, "form": form or {},
               "reasons": policy.REASONS, "photo_limit": photos.MAX_PHOTOS,
               "photo_mb": photos.max_bytes() // (1024 * 1024)}
    if step == 1:
        context["lines"] = service.lines(order, today, chosen=data.get("items"))
    elif step == 2:
        context["needs_opened"] = service.needs_opened_answer(order, data.get("items", {}))
    elif step == 3:
        now, zone = utcnow(), current_customer().timezone
        refused = service.repair_refusal(order, data.get("items", {}), data.get("reason"))
        context["repair_offered"] = refused is None
        context["repair_unavailable"] = service.REPAIR_REFUSALS[refused][0] if refused else ""
        if context["repair_offered"]:
            context["slot_days"] = bookings.by_day(service.repair_slots(now, zone))
            context["slot_zone"] = hours.zone_label(zone, locale_tag(), now)
    elif step == 4 and not errors:
        context["review"] = service.review(order, data, today)
        context["repair_slot"] = datetime.fromisoformat(data["repair_slot"]) if data.get("repair_slot") else None
    return context


def _render(order, step, draft, errors=None, form=None, status=200):
    response = render_fragment("returns/wizard.html", "returns/_step.html",
                               **_context(order, step, draft, errors, form))
    response.status_code = status
    no_store(response)
    if request.headers.get("HX-Request") and request.method == "GET":
        response.headers["HX-Push-Url"] = url_for("returns.step", number=order.number, step=step)
    return response


@bp.get("/")
@bp.get("/new")
def start():
    """Start a return: step 1 for `?order=`, else a chooser of delivered orders (or how to sign in)."""
    customer = current_customer()
    number = order_lookup.normalise_number(request.args.get("order"))
    if customer is None:
        if number:
            return _sign_in_first()
        return render_template("returns/choose.html", orders=None)
    if not number:
        return render_template("returns/choose.html", orders=service.delivered_orders(customer))
    return step(number, 1)


@bp.get("/<number>/step/<int:step>")
def step(number, step):
    """Show one step; a step whose earlier steps are not done sends the customer back to them."""
    if current_customer() is None:
        return _sign_in_first()
    order = _own_order_or_404(number)
    if not service.is_delivered(order):
        return render_template("returns/not_yet.html", order=order), 409
    if step not in service.STEPS:
        abort(404)
    draft = service.draft_for(current_customer(), order)
    missing = service.first_unfinished_step(draft, step)
    if missing is not None:
        flash(_("Please finish step %(step)s first.", step=missing), "warning")
        return redirect(url_for("returns.step", number=order.number, step=missing), 303)
    try:
        return _render(order, step, draft)
    except service.StepInvalid as invalid:
        # The review checks everything again: an answer that no longer holds (a repair slot that passed).
        return _render(order, invalid.step, draft, invalid.errors)


@bp.post("/<number>/step/<int:step>")
def save(number, step):
    """Check and keep one step, then show the next; step 4 submits the request."""
    # Photos come with step 2: the request may hold five of them, and no more.
    if (request.content_length or 0) > service.max_upload_bytes():
        abort(413)
    customer = current_customer()
    if customer is None:
        return _sign_in_first()
    order = _own_order_or_404(number)
    if not service.is_delivered(order) or step not in service.STEPS:
        abort(409 if step in service.STEPS else 404)
    draft = service.draft_for(customer, order)
    missing = service.first_unfinished_step(draft, step)
    if missing is not None:
        errors = {"form": _("Please start from step %(step)s: your earlier answers are missing or have expired.",
                            step=missing)}
        return _render(order, missing, draft, errors, status=409)
    today = utcnow().date()
    try:
        if step == 1:
            service.save_items(customer, order, request.form, today)
        elif step == 2:
            service.save_reason(customer, order, draft, request.form, request.files.getlist("photos"), today)
        elif step == 3:
            service.save_outcome(customer, order, draft, request.form, utcnow())
        else:
            case = service.submit(customer, order, draft)
    except service.StepInvalid as invalid:
        db.session.rollback()
        status = 413 if invalid.too_large else 409 if invalid.conflict else 400
        form = request.form if invalid.step == step else None
        return _render(order, invalid.step, service.draft_for(customer, order), invalid.errors, form, status)
    db.session.commit()
    if step == 4:
        return _submitted(case)
    return redirect(url_for("returns.step", number=order.number, step=step + 1), 303)


def _submitted(case):
    if case.return_label:
        flash(_("Your return is approved. Your return reference is %(label)s.", label=case.return_label), "success")
    else:
        flash(_("Thank you. A person will review your request %(reference)s.", reference=case.reference), "success")
    target = url_for("cases.detail", reference=case.reference)
    if request.headers.get("HX-Request"):
        # A whole new page: htmx navigates there itself (a redirect would be followed inside the swap).
        response = make_response("", 200)
        response.headers["HX-Redirect"] = target
        return response
    return redirect(target, 303)
