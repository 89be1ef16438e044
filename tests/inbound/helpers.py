"""Mail as customers' clients write it, sent over real SMTP to the worker's embedded server."""

import smtplib
import socket
from email.message import EmailMessage
from email.utils import make_msgid

from sqlalchemy import func, select

from portal.extensions import db
from portal.inbound import tokens
from portal.models import Case, CaseAttachment, CaseMessage, InboundMessage, utcnow
from worker import runtime


def reply_address(case, now=None):
    return tokens.reply_address(case, now or utcnow())


def compose(sender, to, text=None, html=None, subject="Re: We replied to your case", headers=None,
            attachments=(), message_id=None):
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    message["Message-ID"] = message_id or make_msgid(domain="client.example")
    for name, value in (headers or {}).items():
        message[name] = value
    if text is not None:
        message.set_content(text)
    if html is not None:
        if text is None:
            message.set_content(html, subtype="html")
        else:
            message.add_alternative(html, subtype="html")
    for filename, content_type, data in attachments:
        maintype, subtype = content_type.split("/")
        message.add_attachment(data, maintype=maintype, subtype=subtype, filename=filename)
    return message


def send_smtp(address, message, recipients=None):
    host, port = address.rsplit(":", 1)
    with smtplib.SMTP(host, int(port), timeout=10) as client:
        client.send_message(message, to_addrs=recipients)


def process_all(app, redis):
    """Run what the outbox holds, as the worker would, in burst mode on the real Redis."""
    runtime.run_burst(app, redis)
    db.session.expire_all()


def snapshot():
    """What a message must not change when it lands nowhere."""
    db.session.expire_all()
    return {
        "messages": db.session.scalar(select(func.count()).select_from(CaseMessage)),
        "attachments": db.session.scalar(select(func.count()).select_from(CaseAttachment)),
        "cases": sorted(db.session.execute(select(Case.reference, Case.status)).all()),
    }


def inbound_rows():
    db.session.expire_all()
    return db.session.scalars(select(InboundMessage).order_by(InboundMessage.id)).all()


def customer_messages(case):
    db.session.expire_all()
    return db.session.scalars(select(CaseMessage).where(CaseMessage.case_id == case.id,
                                                        CaseMessage.author_type == "customer")
                              .order_by(CaseMessage.id)).all()


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
