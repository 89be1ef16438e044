"""Mail that reached us: one row per message, so a message delivered twice (an IMAP re-read, a webhook retry,
an SMTP client that resends after a lost reply) is handled once."""

from datetime import datetime

from sqlalchemy import ForeignKey, Index, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from portal.extensions import db

from .types import UTCDateTime, utcnow


class InboundMessage(db.Model):
    __tablename__ = "inbound_messages"
    __table_args__ = (Index("ix_inbound_messages_sender_answered", "sender", "answered_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # The Message-ID, or a hash of the bytes when a client sent none.
    message_key: Mapped[str] = mapped_column(String(255), unique=True)
    channel: Mapped[str] = mapped_column(String(10))  # smtp, imap, webhook
    sender: Mapped[str] = mapped_column(String(254), default="")
    # Envelope recipients when the channel knows them (SMTP); the headers are read too.
    recipients: Mapped[str] = mapped_column(Text, default="")
    raw: Mapped[bytes] = mapped_column(LargeBinary)
    # received: waiting for the worker; landed: a message on its case; opened: a new case; answered: refused,
    # with our answer unless one went to the sender lately; dropped: refused unanswered (bounce, auto-reply, loop).
    status: Mapped[str] = mapped_column(String(12), default="received")
    reason: Mapped[str] = mapped_column(String(40), default="")
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id", ondelete="SET NULL"))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    processed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # When we wrote back to the sender: a refusal is answered at most once per INBOUND_REFUSAL_EVERY.
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
