"""/account: the customer's orders, cases and inbox; download or delete their data."""

import json

from flask import make_response, render_template, request

from portal import labels as case_labels
from portal.account import bp, service
from portal.auth import tokens
from portal.auth.customers import current_customer, customer_required, sign_out
from portal.extensions import db
from portal.models import Customer, utcnow
from portal.numbers import parse_int
from portal.orders.service import STATUS_LABELS
from portal.web import no_store, render_fragment

MAX_PAGE = 10_000


def _page():
    return min(parse_int(request.args.get("page"), minimum=1) or 1, MAX_PAGE)


def _orders_context(customer):
    page = _page()
    orders, has_next = service.orders_page(customer, page)
    return {"orders": orders, "page": page, "has_next": has_next, "status_labels": STATUS_LABELS}


@bp.get("")
@customer_required
def index():
    """Orders (newest first, paginated), cases and inbox on one page."""
    customer = current_customer()
    return no_store(make_response(render_template(
        "account/index.html", customer=customer, cases=service.cases_for(customer), case_labels=case_labels,
        inbox=service.inbox_for(customer), **_orders_context(customer))))


@bp.get("/orders")
@customer_required
def orders():
    """One page of the order list: the fragment for htmx, the whole account page otherwise."""
    customer = current_customer()
    return no_store(render_fragment(
        "account/index.html", "account/_orders.html", customer=customer, cases=service.cases_for(customer),
        case_labels=case_labels, inbox=service.inbox_for(customer), **_orders_context(customer)))


@bp.post("/data")
@customer_required
def download():
    """Everything we hold about the customer, as a JSON file (audited)."""
    customer = current_customer()
    now = utcnow()
    data = service.export_data(customer, now)
    db.session.commit()
    response = make_response(json.dumps(data, ensure_ascii=False, indent=2))
    response.mimetype = "application/json"
    response.headers["Content-Disposition"] = f"attachment; filename=my-data-{now:%Y-%m-%d}.json"
    return no_store(response)


@bp.post("/delete")
@customer_required
def delete_request():
    """Send the confirmation link; deletion happens only when it is followed."""
    service.request_deletion(current_customer())
    db.session.commit()
    return render_template("account/delete_sent.html")


@bp.route("/delete/<token>", methods=["GET", "POST"])
def delete_confirm(token):
    """GET asks for a last confirmation; POST anonymises the account and signs it out everywhere here."""
    try:
        if request.method == "GET":
            tokens.check(token, "delete_account")
            return render_template("account/delete_confirm.html", token=token)
        customer = db.session.get(Customer, tokens.redeem(token, "delete_account"))
        if customer is None or customer.anonymised_at is not None:
            raise tokens.LinkRefused("unknown")
    except tokens.LinkRefused as refused:
        db.session.rollback()
        return render_template("account/delete_refused.html", reason=refused.reason), 410
    signed_in = current_customer()
    service.delete_account(customer, utcnow())
    if signed_in is not None and signed_in.id == customer.id:
        sign_out()  # also keeps the header from showing the customer we just forgot
    return render_template("account/deleted.html")
