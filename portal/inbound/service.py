"""Mail in: one path for every channel. `accept` stores a message once; the worker's `process` decides what it
becomes (a reply on its case, a new case, an answer, or nothing) in the transaction that records the outcome.

Accepting commits before the channel acknowledges (SMTP 250, the IMAP move, the webhook's 200), and the outbox
runs `process` exactly once, so a message survives a worker killed at any point and lands once.
"""

import io
import logging
from datetime import timedelta
from email.utils import parseaddr

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.dialects import postgresql, sqlite
from werkzeug.datastructures import FileStorage

from portal.casework import photos
from portal.casework import service as cases
from portal.complaints import service as complaints
from portal.extensions import db
from portal.i18n import force_locale
from portal.inbound import parse, tokens
from portal.jobs import schedule
from portal.models import CaseAttachment, CaseMessage, Customer, InboundMessage, utcnow
from portal.models.cases import RESOLVED_STATUSES

log = logging.getLogger("portal.inbound")


def accept(raw, channel, envelope_recipients=()):
    """Store one message for the worker unless it was stored before: accepted, duplicate or too_large.

    Commits: the caller acknowledges the message to its sender only after this returns.
    """
    if len(raw) > current_app.config["INBOUND_MAX_BYTES"]:
        refuse_oversize(raw[:65536], channel, len(raw))
        return "too_large"
    message = parse.read(raw)
    row_id = _insert(message_key=parse.message_key(message, raw), channel=channel,
                     sender=str(message.get("From", ""))[:254], recipients=", ".join(envelope_recipients),
                     raw=raw, status="received", reason="")
    if row_id is None:
        db.session.rollback()
        log.info("inbound %s: duplicate of a message already received", channel)
        return "duplicate"
    schedule("inbound.process", row_id, key=f"inbound:{row_id}")
    db.session.commit()
    return "accepted"


def _insert(**values):
    """Insert a row unless its message key is there; the new id, or None."""
    insert = postgresql.insert if db.session.get_bind().dialect.name == "postgresql" else sqlite.insert
    statement = (insert(InboundMessage.__table__).values(received_at=utcnow(), **values)
                 .on_conflict_do_nothing(index_elements=["message_key"])
                 .returning(InboundMessage.__table__.c.id))
    return db.session.execute(statement).scalar()


def refuse_oversize(head, channel, size):
    """Count a message too large to take, from its first bytes (the headers); its body is never kept."""
    message = parse.read(head)
    now = utcnow()
    _insert(message_key=parse.message_key(message, head), channel=channel, sender=str(message.get("From", ""))[:254],
            recipients="", raw=b"", status="dropped", reason="too_large", processed_at=now)
    db.session.commit()
    log.warning("inbound %s refused: too_large (%d bytes)", channel, size)


# ---- Processing (the worker's job) ----------------------------------------------------------------------------

def process(inbound_id, now=None):
    """Decide what one stored message becomes; returns the outcome. The caller commits."""
    now = now or utcnow()
    row = db.session.get(InboundMessage, inbound_id, with_for_update=True)
    if row is None or row.status != "received":
        return "already handled"
    mail = parse.parse(row.raw, [a for a in row.recipients.split(", ") if a])
    row.sender = mail.sender[:254]
    row.processed_at = now
    outcome = _decide(row, mail, now)
    log.info("inbound %s from %s: %s %s", row.id, row.sender, row.status, row.reason)
    return outcome


def _finish(row, status, reason, case=None):
    row.status, row.reason = status, reason
    if case is not None:
        row.case_id = case.id
    if status in ("dropped", "answered"):
        log.warning("inbound %s refused: %s", row.id, reason)
    return f"{status}: {reason}" if reason else status


def _decide(row, mail, now):
    if mail.machine == "bounce":
        _mark_failing(mail.failed_recipients, mail.subject, now)
        return _finish(row, "dropped", "bounce")
    if mail.machine:
        return _finish(row, "dropped", mail.machine)
    if tokens.is_ours(mail.sender) or mail.sender == _our_sender():
        return _finish(row, "dropped", "loop")
    # Whatever reaches a channel is for us: without a token (the plain address, or our From address when a
    # client ignored Reply-To) it starts a new conversation.
    token = next((t for t in map(tokens.token_in, mail.recipients) if t), None)
    customer = customer_by_address(mail.sender)
    if token is None:
        return _new_conversation(row, mail, customer, now)
    case, problem = tokens.case_for(token, now)
    if problem is None and (customer is None or customer.id != case.customer_id):
        problem = "other_customer"
    if problem is None and customer.anonymised_at is not None:
        problem = "anonymised"
    if problem:
        return _answer(row, problem, now)
    return _land(row, case, customer, mail, now)


def _our_sender():
    return parseaddr(current_app.config["MAIL_FROM"])[1].lower()


def customer_by_address(address):
    if not address:
        return None
    return db.session.scalar(select(Customer).where(func.lower(Customer.email) == address))


def _mark_failing(addresses, subject, now):
    for address in addresses:
        customer = customer_by_address(address)
        if customer is not None:
            customer.email_failing_at = now
            customer.email_failing_reason = (subject or "undeliverable")[:200]


def _answer(row, reason, now):
    """Refuse, and write back at most once per sender per INBOUND_ANSWER_EVERY, however much they send."""
    since = now - current_app.config["INBOUND_ANSWER_EVERY"]
    recent = db.session.scalar(select(InboundMessage.id).where(
        InboundMessage.sender == row.sender, InboundMessage.answered_at >= since, InboundMessage.id != row.id)
        .limit(1))
    if recent is None:
        row.answered_at = now
        schedule("inbound.answer", row.id, key=f"inbound:{row.id}:answer")
    return _finish(row, "answered", reason)


def _new_conversation(row, mail, customer, now):
    """To the plain address: a known customer's complaint, triaged like the form; a stranger is pointed to us."""
    if customer is None or customer.anonymised_at is not None:
        return _answer(row, "unknown_sender", now)
    text = _body(mail) or mail.subject
    if not text:
        return _finish(row, "dropped", "empty")
    description = f"{mail.subject}\n\n{text}".strip() if mail.subject and mail.subject not in text else text
    case = complaints.file_complaint(customer, "other", description[:cases.MAX_MESSAGE_CHARS], "other", now=now)
    _store_attachments(case, mail, row, now)
    _clear_failing(customer)
    return _finish(row, "opened", "", case)


def _land(row, case, customer, mail, now):
    """The reply on its case, as if written in the portal: a resolved case reopens within the window; after it,
    a new case that names the old one."""
    body = _body(mail)
    if not body and not mail.attachments:
        return _finish(row, "dropped", "empty")
    body = body or "📎"
    if case.status in RESOLVED_STATUSES:
        if cases.can_reopen(case, now):
            cases.reopen(case, reason="the customer replied by e-mail", now=now)
        else:
            follow_up = complaints.file_complaint(
                customer, case.category or "other", f"{case.reference}: {body}"[:cases.MAX_MESSAGE_CHARS],
                case.desired_outcome or "other", order=case.order, now=now)
            _store_attachments(follow_up, mail, row, now)
            db.session.add(CaseMessage(case=case, author_type="system", internal=True, created_at=now,
                                       body=f"The customer replied by e-mail after the reopen window: "
                                            f"{follow_up.reference}"))
            _clear_failing(customer)
            return _finish(row, "opened", "follow_up", follow_up)
    message = cases.customer_reply(case, body, now=now)
    message.channel = "email"
    _store_attachments(case, mail, row, now)
    _clear_failing(customer)
    return _finish(row, "landed", "", case)


def _body(mail):
    return mail.text[:cases.MAX_MESSAGE_CHARS].strip()


def _clear_failing(customer):
    customer.email_failing_at = None
    customer.email_failing_reason = ""


def _store_attachments(case, mail, row, now):
    """Photos under the photo rules (type by content, size, count, re-encoded without EXIF). A file left out is
    named in a note for the agent and in an e-mail to the customer: nobody should think a photo arrived that did
    not."""
    room = photos.MAX_PHOTOS - len(case.attachments)
    not_kept = []
    for attachment in mail.attachments:
        name = (attachment.filename or "").strip()[:120] or attachment.content_type
        if room <= 0:
            not_kept.append(name)
            continue
        upload = FileStorage(stream=io.BytesIO(attachment.data), filename=attachment.filename,
                             content_type=attachment.content_type)
        try:
            # The refusal's words are for the log here, outside any request: English.
            with force_locale("en"):
                stored = photos.store(upload)
        except photos.PhotoRefused as refused:
            log.info("case %s: e-mail attachment %r not kept: %s", case.reference, attachment.filename,
                     refused.message)
            not_kept.append(name)
            continue
        case.attachments.append(CaseAttachment(stored_name=stored.name, content_type=stored.content_type,
                                               size_bytes=stored.size_bytes))
        room -= 1
    if not_kept:
        db.session.add(CaseMessage(
            case=case, author_type="system", internal=True, created_at=now,
            body=f"Files e-mailed by the customer and not kept (only photos: JPEG, PNG or WebP, at most "
                 f"{photos.max_bytes() // (1024 * 1024)} MB each and {photos.MAX_PHOTOS} per case): "
                 + ", ".join(not_kept)))
        db.session.flush()
        schedule("inbound.files_not_kept", row.id, case.id, not_kept, key=f"inbound:{row.id}:files")


# ---- Reporting ------------------------------------------------------------------------------------------------

def status_report(now=None):
    """For /healthz: what waits, and what was refused in the last day, by reason."""
    now = now or utcnow()
    waiting = db.session.scalar(select(func.count()).where(InboundMessage.status == "received"))
    refused = dict(db.session.execute(
        select(InboundMessage.reason, func.count())
        .where(InboundMessage.status.in_(("dropped", "answered")),
               InboundMessage.received_at >= now - timedelta(days=1))
        .group_by(InboundMessage.reason)).all())
    return {"waiting": waiting, "refused_24h": refused}

