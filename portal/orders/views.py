"""Guest lookup, the order page and its timeline fragment, and cancelling before shipping."""

import pytz
from flask import abort, current_app, flash, g, make_response, redirect, render_template, request, session, url_for

from portal import hours, masking, order_lookup
from portal.auth.customers import current_customer, current_customer_id
from portal.extensions import db, limiter
from portal.i18n import gettext as _
from portal.i18n import locale_tag
from portal.models import utcnow
from portal.orders import bp, page, service
from portal.orders.forms import LookupForm
from portal.web import no_store, render_fragment

GUEST_SESSION_KEY = "guest_orders"


def _lookup_failed(_response):
    # Only mismatches count towards the limits: a customer who typed their order right is never slowed.
    return g.get("order_lookup_failed", False)


def _lookup_ip_key():
    return f"lookup-ip:{request.remote_addr or ''}"


def _lookup_order_key():
    return f"lookup-order:{order_lookup.normalise_number(request.form.get('number'))}"


def get_order_for_viewer_or_404(number):
    """(order, is_owner) for the signed-in owner or a guest who looked it up; the same 404 for everyone else."""
    # The owner's order brings the owner's row along, so the page's header needs no query of its own.
    order, is_owner = page.find_for_page(number, customer_id=current_customer_id(),
                                         granted=session.get(GUEST_SESSION_KEY))
    if order is None:
        _not_found()
    return order, is_owner


def _not_found():
    # One page for "no such order" and "not yours", so the answer reveals nothing.
    abort(make_response(render_template("orders/not_found.html"), 404))


@bp.route("/track", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["ORDER_LOOKUP_LIMIT_PER_IP"], key_func=_lookup_ip_key,
               methods=["POST"], deduct_when=_lookup_failed)
@limiter.limit(lambda: current_app.config["ORDER_LOOKUP_LIMIT_PER_ORDER"], key_func=_lookup_order_key,
               methods=["POST"], deduct_when=_lookup_failed)
def track():
    """Guest lookup by order number and e-mail, POST only; every mismatch gets the same answer."""
    form = LookupForm()
    if request.method == "GET" or not form.validate():
        status = 400 if request.method == "POST" else 200
        return render_template("orders/track.html", form=form), status
    order = service.find_for_guest(form.number.data, form.email.data)
    if order is None:
        g.order_lookup_failed = True
        flash(_("We could not find that order. Check the order number and the e-mail address you ordered "
                "with, and try again."), "warning")
        # The form again with what was typed, so a typo is corrected rather than retyped. The answer is the
        # same whichever field is wrong, and holds nothing the visitor did not type; 404, as no order matches.
        return no_store((render_template("orders/track.html", form=form), 404))
    session[GUEST_SESSION_KEY] = service.remember_guest_order(session.get(GUEST_SESSION_KEY), order.id)
    return redirect(url_for("orders.detail", number=order.number), 303)


def _use_owner_zone(order):
    """Times on an order's pages are in its customer's zone; the zone's name, as stored."""
    timezone = order.customer.timezone
    g.timezone = timezone if timezone in pytz.all_timezones_set else "UTC"
    return timezone


def _detail_context(order, is_owner):
    timezone = _use_owner_zone(order)
    now = utcnow()
    return {
        "order": order,
        "is_owner": is_owner,
        # Someone signed in who looked up another customer's order cannot cancel it by signing in again.
        "viewer_signed_in": current_customer_id() is not None,
        # The owner's header needs no second look-up: the order's row brought their name along.
        "signed_in_customer": order.customer if is_owner else None,
        "status_label": service.STATUS_LABELS.get(order.status, order.status),
        "event_labels": service.EVENT_LABELS,
        "events": service.timeline(order),
        "late": service.is_late(order, now),
        # The estimate is a date in the customer's zone; once it has passed, the page says so.
        "overdue": order.estimated_delivery is not None and order.status not in ("delivered", "cancelled", "returned")
        and order.estimated_delivery < now.astimezone(hours.zone_named(timezone)).date(),
        "zone_label": hours.zone_label(timezone, locale_tag(), now),
        "eligibility": service.item_eligibility(order, now.date()),
        "can_cancel": is_owner and service.can_cancel(order),
        "polling": order.status in service.IN_TRANSIT_STATUSES,
        "shipping": {
            "name": order.shipping_name if is_owner else service.mask_name(order.shipping_name),
            "address": order.shipping_address if is_owner else service.mask_address(order.shipping_address),
            "phone": order.shipping_phone if is_owner else masking.mask_phone(order.shipping_phone),
        },
    }


@bp.get("/<number>")
def detail(number):
    """The order page: status, items, timeline, estimate, and what the customer can do next."""
    order, is_owner = get_order_for_viewer_or_404(number)
    return no_store(render_template("orders/detail.html", **_detail_context(order, is_owner)))


@bp.get("/<number>/timeline")
def timeline(number):
    """The shipment timeline alone for htmx (it refreshes itself while the parcel moves)."""
    order, is_owner = get_order_for_viewer_or_404(number)
    return no_store(render_fragment("orders/detail.html", "orders/_timeline.html",
                                    **_detail_context(order, is_owner)))


def _owned_order_or_404(number):
    order = order_lookup.find_for_customer(number, current_customer())
    if order is None:
        _not_found()
    return order


def _cannot_cancel(order):
    """Back to the order page, saying why it cannot be cancelled (any more)."""
    if order.cancel_requested_at is not None:
        flash(_("You have already asked to cancel this order. We will e-mail you when the shop confirms."), "info")
    else:
        flash(_("This order has already left our warehouse, so it can no longer be cancelled. "
                "You can return it once it arrives."), "warning")
    return redirect(url_for("orders.detail", number=order.number), 303)


@bp.get("/<number>/cancel")
def cancel_confirm(number):
    """Ask before cancelling: a request to the shop cannot be taken back. Changes nothing."""
    order = _owned_order_or_404(number)
    if not service.can_cancel(order):
        return _cannot_cancel(order)
    _use_owner_zone(order)
    return no_store(render_fragment("orders/cancel_confirm.html", "orders/_cancel_confirm.html", order=order))


@bp.post("/<number>/cancel")
def cancel(number):
    """Cancel before shipping, once confirmed: the signed-in owner only (a guest is asked to sign in)."""
    order = _owned_order_or_404(number)
    try:
        service.cancel(order, utcnow())
    except service.CannotCancel:
        return _cannot_cancel(order)
    db.session.commit()
    flash(_("We have asked the shop to cancel order %(number)s. It is not cancelled yet: we will e-mail you "
            "when the shop confirms.", number=order.number), "success")
    return redirect(url_for("orders.detail", number=order.number), 303)
