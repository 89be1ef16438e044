"""The help assistant's conversations and their turns, kept to learn what it fails to answer."""

from datetime import datetime

from sqlalchemy import JSON, Float, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.extensions import db

from .types import UTCDateTime, utcnow

# open: going on; resolved: the customer said it answered them; handed_over: a case was opened.
CONVERSATION_STATUSES = ("open", "resolved", "handed_over")


class Conversation(db.Model):
    __tablename__ = "assistant_conversations"
    __table_args__ = (Index("ix_assistant_conversations_created", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # The browser holds this random token, never the id: a guessed number opens nobody's conversation.
    token: Mapped[str] = mapped_column(String(32), unique=True)
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"), index=True)
    locale: Mapped[str] = mapped_column(String(8), default="en")
    status: Mapped[str] = mapped_column(String(16), default="open")
    # What the assistant is waiting for (an order choice, a guest's order number) and what it last offered.
    state: Mapped[dict] = mapped_column(JSON, default=dict)
    unhelpful_count: Mapped[int] = mapped_column(default=0)
    handover_reason: Mapped[str] = mapped_column(String(40), default="")
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id", ondelete="SET NULL"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    turns = relationship("Turn", back_populates="conversation", cascade="all, delete-orphan",
                         order_by="Turn.id")
    case = relationship("Case")


class Turn(db.Model):
    """One message: the customer's words, or the assistant's answer as data (rendered in the reader's language)."""

    __tablename__ = "assistant_turns"
    __table_args__ = (Index("ix_assistant_turns_conversation", "conversation_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("assistant_conversations.id", ondelete="CASCADE"))
    author: Mapped[str] = mapped_column(String(12))  # customer, assistant
    text: Mapped[str] = mapped_column(Text, default="")
    intent: Mapped[str] = mapped_column(String(40), default="")
    # How sure the assistant was of the intent (cosine to the nearest example); low ones are the leads' backlog.
    confidence: Mapped[float] = mapped_column(Float, default=0.0)
    # The answer as data: {"kind": "article", "slug": ..., "passage": ...} and the like.
    payload: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    conversation = relationship("Conversation", back_populates="turns")
