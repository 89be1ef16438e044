"""E-mails to customers, each also kept in the customer's in-portal inbox."""

from flask import render_template
from flask_babel import force_locale
from flask_babel import gettext as _

from portal import mail
from portal.extensions import db
from portal.models import Customer, Notification
from portal.web import external_url
from worker.outbox import current_key


def deliver(customer, kind, subject, template, link="", headers=None, **context):
    """Render `emails/<template>.txt|.html` in the customer's language, send it, and file it in the inbox."""
    context.update(customer=customer, link=link, subject=subject)
    text_body = render_template(f"emails/{template}.txt", **context)
    html_body = render_template(f"emails/{template}.html", **context)
    message = mail.build_message(customer.email, subject, text_body, html_body, headers=headers)
    message_id = mail.send(message)
    db.session.add(Notification(customer_id=customer.id, kind=kind, subject=subject, body_text=text_body,
                                link=link, outbox_key=current_key.get(), message_id=message_id))
    return message_id


def send_welcome(customer_id):
    """Welcome a new customer and tell them what they can do themselves."""
    customer = db.session.get(Customer, customer_id)
    if customer is None or customer.anonymised_at:
        return "no recipient"
    with force_locale(customer.locale):
        return deliver(customer, "welcome", _("Welcome to our help center"), "welcome",
                       link=external_url("home.index"))
