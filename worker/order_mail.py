"""E-mails about orders and the customer's account: sign-in links, status changes, deletion confirmation."""

from flask import current_app, render_template

from portal import mail
from portal.auth import tokens
from portal.extensions import db
from portal.i18n import force_locale
from portal.i18n import gettext as _
from portal.models import Customer, Order
from portal.web import external_url
from worker.notifications import deliver


def _recipient(customer):
    return customer if customer is not None and customer.anonymised_at is None else None


def _send_link(customer, subject, template, link, **context):
    """Send without filing a copy in the inbox: the link is a credential and must live only in the mailbox."""
    context.update(customer=customer, link=link, subject=subject)
    text_body = render_template(f"emails/{template}.txt", **context)
    html_body = render_template(f"emails/{template}.html", **context)
    return mail.send(mail.build_message(customer.email, subject, text_body, html_body))


def send_signin_link(customer_id, next_path=""):
    """Make a single-use sign-in token and mail its link (the token commits with the job)."""
    customer = _recipient(db.session.get(Customer, customer_id))
    if customer is None:
        return "no recipient"
    lifetime = current_app.config["SIGNIN_LINK_LIFETIME"]
    raw = tokens.issue(customer.id, "signin", lifetime)
    values = {"token": raw, "next": next_path} if next_path else {"token": raw}
    with force_locale(customer.locale):
        return _send_link(customer, _("Your sign-in link"), "signin_link", external_url("auth.signin_link", **values),
                          minutes=int(lifetime.total_seconds() // 60))


def send_account_delete_confirm(customer_id):
    """Mail the link that confirms deleting the account; nothing is deleted until it is followed."""
    customer = _recipient(db.session.get(Customer, customer_id))
    if customer is None:
        return "no recipient"
    lifetime = current_app.config["ACCOUNT_DELETE_LINK_LIFETIME"]
    raw = tokens.issue(customer.id, "delete_account", lifetime)
    with force_locale(customer.locale):
        return _send_link(customer, _("Confirm deleting your account"), "account_delete_confirm",
                          external_url("account.delete_confirm", token=raw),
                          minutes=int(lifetime.total_seconds() // 60))


def _status_text(status, number):
    texts = {
        "shipped": (_("Your order %(number)s is on its way", number=number),
                    _("Your order has left our warehouse. You can follow every step of its journey on the "
                      "order page.")),
        "out_for_delivery": (_("Your order %(number)s arrives today", number=number),
                             _("The carrier is out delivering your parcel today.")),
        "delivered": (_("Your order %(number)s was delivered", number=number),
                      _("The carrier reports your parcel as delivered. If it is not there, tell us from the order "
                        "page and we will sort it out.")),
        "delivery_exception": (_("A problem with the delivery of order %(number)s", number=number),
                               _("The carrier reports a problem delivering your parcel. The order page shows what "
                                 "they told us, and you can ask us for help there.")),
        "cancel_requested": (_("We asked the shop to cancel order %(number)s", number=number),
                             _("We have asked the shop to cancel your order. It is not cancelled yet: we will "
                               "e-mail you again when the shop confirms. If you have already paid, the money then "
                               "goes back to the way you paid.")),
        "cancelled": (_("Your order %(number)s is cancelled", number=number),
                      _("Your order is cancelled. If you have already paid, the money goes back to the way you paid.")),
    }
    return texts[status]


def send_order_status(order_id, status):
    """Tell the customer their order changed status; filed in their inbox too."""
    order = db.session.get(Order, order_id)
    customer = _recipient(order.customer if order is not None else None)
    if customer is None:
        return "no recipient"
    with force_locale(customer.locale):
        subject, message = _status_text(status, order.number)
        return deliver(customer, f"order_{status}", subject, "order_status",
                       link=external_url("orders.detail", number=order.number), order=order, message=message)
