"""Webhooks to the shop: endpoints (admins set them up, leads read them), each one's delivery log and resend."""

from flask import abort, flash, redirect, render_template, request, url_for

from portal.admin import bp, endpoints
from portal.admin.forms import EndpointForm, error_summary
from portal.auth.staff import current_staff, staff_required
from portal.extensions import db
from portal.i18n import gettext as _
from portal.models import ShopDelivery, ShopEndpoint


def _endpoint_or_404(endpoint_id):
    endpoint = db.session.get(ShopEndpoint, endpoint_id)
    if endpoint is None:
        abort(404)
    return endpoint


# The endpoint form's inputs are named `<prefix>-<field>`; the events' checkboxes sit in `<prefix>-events`.
FIELD_IDS = {"event_types": "events"}


def _list_page(form=None, created=None, status=200):
    form = form or EndpointForm(formdata=None, active=True)
    return render_template("admin/shop_endpoints.html", endpoints=endpoints.endpoints(), me=current_staff(),
                           form=form, form_errors=error_summary(form, "new-endpoint", FIELD_IDS), created=created,
                           event_labels=endpoints.EVENT_LABELS), status


@bp.get("/admin/shop-endpoints")
@staff_required("lead")
def shop_endpoints():
    """The shop's endpoints, the events each receives and how many deliveries failed."""
    return _list_page()


@bp.post("/admin/shop-endpoints")
@staff_required("admin")
def create_shop_endpoint():
    """Add an endpoint; its signing secret is shown on this one answer and never again."""
    form = EndpointForm()
    if not form.validate():
        return _list_page(form=form, status=400)
    endpoint = endpoints.create(current_staff(), form.url.data, form.description.data or "", form.event_types.data)
    db.session.commit()
    # Rendered, not redirected: the secret must not travel through the session cookie or a second request.
    return _list_page(created=endpoint, status=201)


def _detail_page(endpoint, form=None, status=200, new_secret=None):
    state = request.args.get("state", "")
    if state and state not in endpoints.DELIVERY_STATES:
        state, status = "", 400
    shown = form or EndpointForm(formdata=None, obj=endpoint)
    return render_template("admin/shop_endpoint.html", endpoint=endpoint, me=current_staff(), new_secret=new_secret,
                           form=shown, form_errors=error_summary(shown, "endpoint", FIELD_IDS),
                           log=endpoints.delivery_log(endpoint, state or None), state=state,
                           state_refused=status == 400 and form is None, log_size=endpoints.LOG_SIZE,
                           event_labels=endpoints.EVENT_LABELS, states=endpoints.DELIVERY_STATES), status


@bp.get("/admin/shop-endpoints/<int:endpoint_id>")
@staff_required("lead")
def shop_endpoint(endpoint_id):
    """One endpoint and its delivery log: state, attempts, last answer and error, next attempt."""
    return _detail_page(_endpoint_or_404(endpoint_id))


@bp.post("/admin/shop-endpoints/<int:endpoint_id>")
@staff_required("admin")
def change_shop_endpoint(endpoint_id):
    """Change the address, the events or the switch; pending deliveries keep their key."""
    endpoint, form = _endpoint_or_404(endpoint_id), EndpointForm()
    form.current_url = endpoint.url
    if not form.validate():
        return _detail_page(endpoint, form=form, status=400)
    endpoints.change(current_staff(), endpoint, form.url.data, form.description.data or "", form.event_types.data,
                     form.active.data)
    db.session.commit()
    flash(_("The endpoint is saved."), "success")
    return redirect(url_for("admin.shop_endpoint", endpoint_id=endpoint.id), 303)


@bp.post("/admin/shop-endpoints/<int:endpoint_id>/secret")
@staff_required("admin")
def replace_shop_endpoint_secret(endpoint_id):
    """Give the endpoint a new signing secret, shown on this one answer; the old one stops working at once."""
    endpoint = _endpoint_or_404(endpoint_id)
    secret = endpoints.new_signing_secret(current_staff(), endpoint)
    db.session.commit()
    return _detail_page(endpoint, new_secret=secret)


@bp.post("/admin/shop-endpoints/<int:endpoint_id>/deliveries/<int:delivery_id>/resend")
@staff_required("lead")
def resend_shop_delivery(endpoint_id, delivery_id):
    """Send a delivered or failed delivery again, with the same idempotency key."""
    endpoint = _endpoint_or_404(endpoint_id)
    delivery = db.session.get(ShopDelivery, delivery_id)
    if delivery is None or delivery.endpoint_id != endpoint.id:
        abort(404)
    try:
        endpoints.resend(current_staff(), delivery)
    except endpoints.ResendRefused:
        flash(_("This delivery is still being sent; it is retried on its own."), "warning")
        return redirect(url_for("admin.shop_endpoint", endpoint_id=endpoint.id), 303)
    db.session.commit()
    flash(_("The delivery is queued to be sent again."), "success")
    return redirect(url_for("admin.shop_endpoint", endpoint_id=endpoint.id), 303)
