"""The signed-in customer's own data: what we show them, give them, and forget on request."""

import secrets

from sqlalchemy import delete, select, update

from portal.assistant import service as assistant
from portal.casework import photos
from portal.extensions import db
from portal.jobs import schedule
from portal.models import (
    AuditEntry,
    Booking,
    Callback,
    Case,
    CaseAttachment,
    CaseMessage,
    LoginToken,
    Notification,
    Order,
    ReturnDraft,
    Survey,
    SurveyAnswer,
)

ORDERS_PER_PAGE = 10
INBOX_SIZE = 20


def orders_page(customer, page):
    """(orders newest first, has_next) for 1-based `page`."""
    rows = db.session.scalars(
        select(Order).where(Order.customer_id == customer.id)
        .order_by(Order.placed_at.desc(), Order.id.desc())
        .offset((page - 1) * ORDERS_PER_PAGE).limit(ORDERS_PER_PAGE + 1)
    ).all()
    return rows[:ORDERS_PER_PAGE], len(rows) > ORDERS_PER_PAGE


def cases_for(customer):
    return db.session.scalars(select(Case).where(Case.customer_id == customer.id)
                              .order_by(Case.created_at.desc(), Case.id.desc())).all()


def inbox_for(customer):
    return db.session.scalars(select(Notification).where(Notification.customer_id == customer.id)
                              .order_by(Notification.created_at.desc(), Notification.id.desc())
                              .limit(INBOX_SIZE)).all()


def _audit(customer, action, **detail):
    db.session.add(AuditEntry(actor_type="customer", actor_id=customer.id, action=action, target_type="customer",
                              target_id=customer.id, detail=detail))


def _when(value):
    return value.isoformat() if value is not None else None


def _order_data(order):
    return {
        "number": order.number, "status": order.status, "currency": order.currency,
        "total_cents": order.total_cents, "placed_at": _when(order.placed_at), "ship_by": _when(order.ship_by),
        "shipped_at": _when(order.shipped_at), "delivered_at": _when(order.delivered_at),
        "cancelled_at": _when(order.cancelled_at),
        "estimated_delivery": order.estimated_delivery.isoformat() if order.estimated_delivery else None,
        "shipping": {"name": order.shipping_name, "address": order.shipping_address,
                     "phone": order.shipping_phone, "country": order.ship_country},
        "carrier": order.carrier, "tracking_number": order.tracking_number,
        "items": [{"sku": i.sku, "name": i.name, "category": i.category, "price_cents": i.price_cents,
                   "qty": i.qty} for i in order.items],
        "shipment_events": [{"status": e.status, "location": e.location, "description": e.description,
                             "occurred_at": _when(e.occurred_at)} for e in order.events],
    }


def _case_data(case):
    return {
        "reference": case.reference, "kind": case.kind, "status": case.status, "category": case.category,
        "description": case.description, "desired_outcome": case.desired_outcome,
        "order_number": case.order.number if case.order else None, "created_at": _when(case.created_at),
        "resolved_at": _when(case.resolved_at), "resolution_note": case.resolution_note,
        # Internal notes are staff working notes, never part of what the customer sees.
        "messages": [{"from": m.author_type, "body": m.body, "at": _when(m.created_at)}
                     for m in case.messages if not m.internal],
    }


def export_data(customer, now):
    """Everything we hold about the customer, as one JSON-ready dict; the export itself is audited."""
    surveys = db.session.scalars(select(Survey).where(Survey.customer_id == customer.id)).all()
    callbacks = db.session.scalars(select(Callback).where(Callback.customer_id == customer.id)).all()
    appointments = db.session.scalars(select(Booking).where(Booking.customer_id == customer.id)
                                      .order_by(Booking.slot_start)).all()
    notifications = db.session.scalars(select(Notification).where(Notification.customer_id == customer.id)
                                       .order_by(Notification.created_at)).all()
    audit = db.session.scalars(select(AuditEntry).where(AuditEntry.target_type == "customer",
                                                        AuditEntry.target_id == customer.id)
                               .order_by(AuditEntry.created_at)).all()
    data = {
        "exported_at": _when(now),
        "profile": {"email": customer.email, "name": customer.name, "phone": customer.phone,
                    "language": customer.locale, "time_zone": customer.timezone, "tier": customer.tier,
                    "feedback_mail_opt_out": customer.feedback_mail_opt_out,
                    "created_at": _when(customer.created_at)},
        "orders": [_order_data(o) for o in customer.orders.order_by(Order.placed_at)],
        "cases": [_case_data(c) for c in reversed(cases_for(customer))],
        "surveys": [{"case": s.case.reference if s.case else None, "sent_at": _when(s.sent_at),
                     "score": s.answer.score if s.answer else None,
                     "comment": s.answer.comment if s.answer else None} for s in surveys],
        "callbacks": [{"reason": c.reason, "phone": c.phone, "due_at": _when(c.due_at), "status": c.status}
                      for c in callbacks],
        "appointments": [{"kind": b.kind, "case": b.case.reference, "starts_at": _when(b.slot_start),
                          "ends_at": _when(b.slot_end)} for b in appointments],
        "notifications": [{"kind": n.kind, "subject": n.subject, "body": n.body_text, "link": n.link,
                           "sent_at": _when(n.created_at)} for n in notifications],
        "audit": [{"action": a.action, "at": _when(a.created_at)} for a in audit],
        "assistant": assistant.export_for(customer),
    }
    _audit(customer, "account.data_exported")
    return data


def request_deletion(customer):
    """E-mail a confirmation link; nothing is deleted until it is followed."""
    _audit(customer, "account.deletion_requested")
    schedule("mail.account_delete_confirm", customer.id,
             key=f"account-delete:{customer.id}:{secrets.token_hex(8)}")


def delete_account(customer, now):
    """Anonymise the customer and commit; their photo files go only once no committed row points at them."""
    leftover_photos = anonymise(customer, now)
    db.session.commit()
    photos.discard(leftover_photos)


def anonymise(customer, now):
    """Forget who the customer is; orders stay (without name, address or phone) for the accounts.

    Returns the names of the photo files to delete once this is committed (a rollback keeps them all)."""
    customer.name = ""
    customer.phone = ""
    customer.email = f"deleted-{customer.id}@deleted.invalid"
    customer.anonymised_at = now
    db.session.execute(update(Order).where(Order.customer_id == customer.id)
                       .values(shipping_name="", shipping_address="", shipping_phone="")
                       .execution_options(synchronize_session=False))
    db.session.execute(update(Callback).where(Callback.customer_id == customer.id).values(phone="", outcome_note="")
                       .execution_options(synchronize_session=False))
    leftover_photos = _forget_case_texts(customer)
    assistant.forget(customer)
    db.session.execute(delete(Notification).where(Notification.customer_id == customer.id))
    # The link that deleted the account stays, spent, so opening it again says it was used rather than
    # that it was never ours; it names no one. Every other link goes.
    spent_deletion_link = (LoginToken.purpose == "delete_account") & LoginToken.used_at.is_not(None)
    db.session.execute(delete(LoginToken).where(LoginToken.customer_id == customer.id, ~spent_deletion_link))
    _audit(customer, "account.deleted")
    return leftover_photos


def _forget_case_texts(customer):
    """Everything written in the customer's cases goes: their words, the replies (which name them), survey
    comments and photos (their rows here, their files named in the result). What remains (kind, category,
    times, outcome) keeps the service figures true."""
    own_cases = select(Case.id).where(Case.customer_id == customer.id).scalar_subquery()
    quiet = {"synchronize_session": False}
    db.session.execute(update(Case).where(Case.customer_id == customer.id).values(description="")
                       .execution_options(**quiet))
    db.session.execute(update(CaseMessage).where(CaseMessage.case_id.in_(own_cases)).values(body="")
                       .execution_options(**quiet))
    own_surveys = select(Survey.id).where(Survey.customer_id == customer.id).scalar_subquery()
    db.session.execute(update(SurveyAnswer).where(SurveyAnswer.survey_id.in_(own_surveys)).values(comment="")
                       .execution_options(**quiet))
    stored = db.session.scalars(select(CaseAttachment.stored_name).where(CaseAttachment.case_id.in_(own_cases))).all()
    drafts = db.session.scalars(select(ReturnDraft).where(ReturnDraft.customer_id == customer.id)).all()
    draft_photos = [photo["name"] for draft in drafts for photo in (draft.data or {}).get("photos", [])]
    db.session.execute(delete(CaseAttachment).where(CaseAttachment.case_id.in_(own_cases)))
    db.session.execute(delete(ReturnDraft).where(ReturnDraft.customer_id == customer.id))
    return [*stored, *draft_photos]

