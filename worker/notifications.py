"""E-mails to customers, each also kept in the customer's in-portal inbox."""

from flask import render_template
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from portal import labels, mail
from portal.extensions import db
from portal.formatting import format_date, format_datetime, money
from portal.i18n import force_locale
from portal.i18n import gettext as _
from portal.i18n import lazy_gettext as _l
from portal.inbound import tokens as reply_tokens
from portal.models import Case, CaseEvent, CaseMessage, Customer, Notification, Order, Staff, utcnow
from portal.web import external_url, has_endpoint
from worker.outbox import current_key


def deliver(customer, kind, subject, template, link="", headers=None, **context):
    """Render `emails/<template>.txt|.html` in the customer's language, send it, and file it in the inbox."""
    context.update(customer=customer, link=link, subject=subject)
    text_body = render_template(f"emails/{template}.txt", **context)
    html_body = render_template(f"emails/{template}.html", **context)
    if context.get("case") is not None:
        # Mail about a case can be answered: the reply lands on the case (portal/inbound).
        headers = {**reply_tokens.case_headers(context["case"], utcnow()), **(headers or {})}
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


# ---- Cases -----------------------------------------------------------------------------------------------------

def case_link(case):
    """The case page when the cases journey is there, else the account page that lists cases."""
    if has_endpoint("cases.detail"):
        return external_url("cases.detail", reference=case.reference)
    return external_url("account.index")


# (subject, message) for each customer-visible status change. Lazy, so a job translates the one it sends:
# gettext on all of them each time cost about as much as rendering the e-mail.
CASE_TEXTS = {
    "submitted": (_l("We received your request %(reference)s"),
                  _l("Thank you. We have your request and will keep you posted here and on the case page.")),
    "acknowledged": (_l("We are looking at %(reference)s"),
                     _l("We have read your message and are working on it.")),
    "needs_review": (_l("Your request %(reference)s is under review"),
                     _l("A member of our team checks requests like yours by hand. We will write as soon as "
                        "it is decided.")),
    "approved": (_l("Your return %(reference)s is approved"),
                 _l("Good news: your request is approved. Please follow the return instructions below.")),
    "awaiting_item": (_l("Your return %(reference)s is approved: how to send it back"),
                      _l("Good news: your request is approved. Print the return label from the case page, stick "
                         "it on the parcel and drop it off by the date below. We will tell you when it arrives.")),
    "item_in_transit": (_l("Your parcel for %(reference)s is on its way back"),
                        _l("The carrier has your parcel and it is on its way to us. We will tell you when it "
                           "arrives.")),
    "received": (_l("We received your returned item for %(reference)s"),
                 _l("Your parcel has arrived at our warehouse. We will check it and finish your request.")),
    "escalated": (_l("A person is now handling %(reference)s"),
                  _l("Your case is with our support team. A person will answer you by the time below.")),
    "answered": (_l("We replied to %(reference)s"),
                 _l("Our support team has answered your case. You can reply from the case page.")),
    "resolved": (_l("Your case %(reference)s is resolved"),
                 _l("We have resolved your case. If the problem is not fixed, you can reopen it from the "
                    "case page.")),
    "refunded": (_l("Your refund for %(reference)s is on its way"),
                 _l("The shop has issued your refund. Banks usually show it within 5 to 10 working days.")),
    "exchanged": (_l("Your exchange for %(reference)s is on its way"),
                  _l("The shop has sent your replacement item. Its tracking details are below and on the case "
                     "page.")),
    "repaired": (_l("Your repair for %(reference)s is done"),
                 _l("Your item is repaired and on its way back to you.")),
    "expired": (_l("Your return %(reference)s is closed"),
                _l("We did not hear that your parcel was sent by the drop-off date, so we closed the return. "
                   "If you still want to send it, reopen the case from the case page and we will help.")),
    "rejected": (_l("We could not accept %(reference)s"),
                 _l("We are sorry, we could not accept your request. The case page explains why and what "
                    "you can do next.")),
    "reopened": (_l("Your case %(reference)s is open again"),
                 _l("We reopened your case and will look at it again.")),
    "closed": (_l("Your case %(reference)s is closed"),
               _l("Your case is closed. Thank you for your patience.")),
}
DEFAULT_CASE_TEXTS = (_l("Your case %(reference)s was updated"),
                      _l("There is news about your case on the case page."))


def _case_texts(status, reference):
    """(subject, message) for a status change, in the current locale."""
    subject, message = CASE_TEXTS.get(status, DEFAULT_CASE_TEXTS)
    return str(subject) % {"reference": reference}, str(message)


def _agent_reply(case):
    """The newest reply an agent wrote to the customer: never an internal note."""
    return db.session.scalar(
        select(CaseMessage).where(CaseMessage.case_id == case.id, CaseMessage.author_type == "agent",
                                  CaseMessage.internal.is_(False))
        .order_by(CaseMessage.created_at.desc(), CaseMessage.id.desc()).limit(1))


def send_case_update(case_id, case_event_id):
    """Tell the customer their case changed status: the e-mail and the same text in their inbox."""
    case = db.session.get(Case, case_id, options=[joinedload(Case.customer)])
    event = db.session.get(CaseEvent, case_event_id)
    if case is None or event is None or event.case_id != case.id or event.field != "status":
        return "no such case event"
    customer = case.customer
    if customer is None or customer.anonymised_at is not None:
        return "no recipient"
    status = event.new_value
    if status == "approved" and _superseded_by_label(case, event):
        return "the return instructions say it"
    with force_locale(customer.locale):
        subject, message = _case_texts(status, case.reference)
        details = {}
        if status in ("approved", "awaiting_item") and case.return_label:
            details["return_label"] = case.return_label
        if status == "awaiting_item" and case.drop_off_due:
            details["drop_off_by"] = format_date(case.drop_off_due.date(), "long")
            if case.refund_estimate_cents:
                details["refund_estimate"] = money(case.refund_estimate_cents, case.currency)
        if status == "exchanged" and (case.exchange_tracking or case.exchange_order):
            details["tracking"] = " ".join(p for p in (case.exchange_order, case.exchange_carrier,
                                                       case.exchange_tracking) if p)
        if status == "answered":
            reply = _agent_reply(case)
            details["reply"] = reply.body if reply else ""
        if status == "escalated" and case.first_response_due:
            details["answer_by"] = format_datetime(case.first_response_due, "medium",
                                                   zone=customer.timezone or "UTC")
        if status in ("resolved", "refunded") and case.resolution_amount_cents:
            details["amount"] = money(case.resolution_amount_cents, case.currency)
        if status == "resolved" and case.resolution_type:
            details["resolution"] = _resolution_text(case.resolution_type)
        return deliver(customer, f"case_{status}"[:40], subject, "case_update", link=case_link(case),
                       case=case, message=message, **details)


def _superseded_by_label(case, approval):
    """An approved return whose label was issued at once: its one e-mail is the return instructions."""
    return any(e.field == "status" and e.old_value == "approved" and e.new_value == "awaiting_item"
               and (e.created_at, e.id) >= (approval.created_at, approval.id) for e in case.events)


def _resolution_text(resolution_type):
    return {
        # Money is the shop's to move: until it confirms, the customer reads that we asked for it.
        "refund": _("a refund, requested from the shop (we will e-mail you when it is sent)"),
        "replacement": _("a replacement"), "repair_booked": _("a repair"),
        "coupon": _("a coupon, requested from the shop (we will e-mail you when it is in your account)"),
        "explanation": _("an explanation of what happened"),
    }.get(resolution_type, resolution_type)


# ---- Staff ------------------------------------------------------------------------------------------------------

def active_leads():
    return db.session.scalars(select(Staff).where(Staff.role == "lead", Staff.active.is_(True))
                              .order_by(Staff.id)).all()


def send_to_staff(staff, subject, template, link="", **context):
    """One message to every addressee, so a retry cannot mail some twice and others never."""
    context.update(link=link, subject=subject)
    text_body = render_template(f"emails/{template}.txt", **context)
    html_body = render_template(f"emails/{template}.html", **context)
    return mail.send(mail.build_message(", ".join(person.email for person in staff), subject, text_body,
                                        html_body))


def staff_case_link(case):
    return external_url("agent.workspace", reference=case.reference)


def alert_escalation(case_id):
    """Tell the leads a case was escalated: in the portal it is in the agents' queue; this is the e-mail."""
    case = db.session.get(Case, case_id)
    leads = active_leads()
    if case is None or not leads:
        return "no case" if case is None else "no leads"
    with force_locale("en"):
        subject = _("Case %(reference)s was escalated (%(urgency)s urgency)", reference=case.reference,
                    urgency=labels.label(case.urgency, "urgency"))
        message = _("A customer's case needs a person. It is in the agents' queue.")
        return send_to_staff(leads, subject, "staff_alert", link=staff_case_link(case), case=case, message=message)


# ---- Orders -----------------------------------------------------------------------------------------------------

def send_order_late(order_id):
    """Apologise, before the customer has to ask, that an order is late; once per order (the SLA sweep)."""
    order = db.session.get(Order, order_id)
    customer = order.customer if order is not None else None
    if customer is None or customer.anonymised_at is not None:
        return "no recipient"
    complaint_link = external_url("complaints.new", order=order.number) if has_endpoint("complaints.new") else ""
    with force_locale(customer.locale):
        return deliver(customer, "order_late", _("Your order %(number)s is running late", number=order.number),
                       "order_late", link=external_url("orders.detail", number=order.number), order=order,
                       complaint_link=complaint_link)
