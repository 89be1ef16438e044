"""A case: one table for returns, exchanges, repairs and complaints, with its conversation and audit trail."""

from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.extensions import db

from .types import UTCDateTime, utcnow

KINDS = ("return", "exchange", "repair", "complaint")
URGENCIES = ("high", "medium", "low")
# Lower sorts first in the agents' queue.
URGENCY_RANK = {"high": 0, "medium": 1, "low": 2}

# The allowed status flow, as data: every transition goes through one function that checks this map.
TRANSITIONS = {
    "submitted": {"approved", "needs_review", "escalated", "acknowledged", "rejected", "resolved"},
    "acknowledged": {"escalated", "resolved"},
    "needs_review": {"approved", "rejected", "escalated"},
    "escalated": {"answered", "approved", "rejected", "resolved"},
    "answered": {"escalated", "resolved"},
    "approved": {"awaiting_item", "resolved"},
    # The parcel back: the customer drops it off, the carrier scans it, the shop receives it; a parcel not
    # sent by the drop-off deadline expires the return. An agent may settle it without the parcel (a refund
    # with no need to send a broken teapot back).
    "awaiting_item": {"item_in_transit", "received", "expired", "resolved"},
    "item_in_transit": {"received"},
    "received": {"refunded", "exchanged", "repaired"},
    # Any resolved case may be reopened (the customer within REOPEN_WINDOW_DAYS); closed is final.
    "refunded": {"closed", "reopened"},
    "exchanged": {"closed", "reopened"},
    "repaired": {"closed", "reopened"},
    "rejected": {"closed", "reopened"},
    "resolved": {"closed", "reopened"},
    "expired": {"closed", "reopened"},
    # An agent may approve a reopened return again (a parcel sent late gets a new label and deadline).
    "reopened": {"escalated", "resolved", "approved"},
    "closed": set(),
}
STATUSES = tuple(TRANSITIONS)
OPEN_STATUSES = ("submitted", "acknowledged", "needs_review", "escalated", "answered", "reopened")
RESOLVED_STATUSES = ("refunded", "exchanged", "repaired", "resolved", "rejected", "expired", "closed")
# Ended without serving the customer: no survey or check-in follows.
UNSERVED_STATUSES = ("expired",)
# The customer's parcel is on its way back: the resolution clock waits with them and runs on when it arrives.
CLOCK_PAUSED_STATUSES = ("awaiting_item", "item_in_transit")
# Where a return, exchange or repair stands once approved, in the order the parcel goes.
RETURN_STAGES = ("awaiting_item", "item_in_transit", "received", "refunded", "exchanged", "repaired")
RESOLUTION_TYPES = ("refund", "replacement", "repair_booked", "coupon", "explanation")
# Entering one of these puts the case in the agents' queue.
ESCALATING_STATUSES = ("escalated", "needs_review", "reopened")


class Case(db.Model):
    __tablename__ = "cases"
    __table_args__ = (
        # The agents' queue: escalated and open, by priority then due time.
        Index("ix_cases_queue", "escalated", "status", "priority", "first_response_due"),
        Index("ix_cases_customer_created", "customer_id", "created_at"),
        Index("ix_cases_created", "created_at"),
        Index("ix_cases_resolved", "resolved_at"),
        # The shop's return events name the case by its RMA.
        Index("ix_cases_return_label", "return_label"),
        # The leads' dashboard: each covers its query, so a year of cases is never read row by row.
        Index("ix_cases_created_cover", "created_at", "kind", "escalated", "status", "category", "customer_id",
              "source_article_id"),
        Index("ix_cases_first_response_cover", "first_response_at", "escalated", "urgency", "assignee_id",
              "created_at", "first_response_due"),
        Index("ix_cases_resolved_cover", "resolved_at", "escalated", "urgency", "assignee_id", "created_at",
              "resolution_due"),
        CheckConstraint("urgency in ('high', 'medium', 'low')", name="ck_cases_urgency"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(12), unique=True)
    kind: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(20), default="submitted")
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"))
    order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id"), index=True)
    category: Mapped[str] = mapped_column(String(40), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    desired_outcome: Mapped[str] = mapped_column(String(40), default="")
    # Return / exchange / repair details chosen in the wizard.
    refund_method: Mapped[str] = mapped_column(String(24), default="")
    exchange_for: Mapped[str] = mapped_column(String(120), default="")
    repair_slot: Mapped[datetime | None] = mapped_column(UTCDateTime)
    fee_cents: Mapped[int] = mapped_column(default=0)
    refund_estimate_cents: Mapped[int] = mapped_column(default=0)
    currency: Mapped[str] = mapped_column(String(3), default="USD")
    # The RMA: the return's reference on the label, in the shop's events and on the parcel.
    return_label: Mapped[str] = mapped_column(String(80), default="")
    drop_off_due: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The parcel back, as the customer ("I've sent it") or the carrier's scan reported it.
    return_carrier: Mapped[str] = mapped_column(String(60), default="", server_default="")
    return_tracking: Mapped[str] = mapped_column(String(80), default="", server_default="")
    # What the shop sent in exchange (its new order or shipment), so the customer can follow it.
    exchange_order: Mapped[str] = mapped_column(String(40), default="", server_default="")
    exchange_carrier: Mapped[str] = mapped_column(String(60), default="", server_default="")
    exchange_tracking: Mapped[str] = mapped_column(String(80), default="", server_default="")

    urgency: Mapped[str] = mapped_column(String(8), default="low")
    angry: Mapped[bool] = mapped_column(default=False)
    triage_reasons: Mapped[list] = mapped_column(JSON, default=list)
    priority: Mapped[int] = mapped_column(default=0)
    escalated: Mapped[bool] = mapped_column(default=False)
    escalated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"), index=True)
    first_response_due: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolution_due: Mapped[datetime | None] = mapped_column(UTCDateTime)
    first_response_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    first_response_warned_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolution_warned_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    first_response_breached: Mapped[bool] = mapped_column(default=False)
    resolution_breached: Mapped[bool] = mapped_column(default=False)

    resolution_type: Mapped[str] = mapped_column(String(20), default="")
    resolution_note: Mapped[str] = mapped_column(Text, default="")
    resolution_amount_cents: Mapped[int] = mapped_column(default=0)
    # The help article the customer read last before filing, for the article's escalation rate.
    source_article_id: Mapped[int | None] = mapped_column(ForeignKey("articles.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    customer = relationship("Customer")
    order = relationship("Order")
    assignee = relationship("Staff")
    items = relationship("CaseItem", back_populates="case", cascade="all, delete-orphan")
    attachments = relationship("CaseAttachment", back_populates="case", cascade="all, delete-orphan")
    messages = relationship("CaseMessage", back_populates="case", cascade="all, delete-orphan",
                            order_by="CaseMessage.created_at")
    events = relationship("CaseEvent", back_populates="case", cascade="all, delete-orphan",
                          order_by="CaseEvent.created_at")
    shop_events = relationship("CaseShopEvent", back_populates="case", cascade="all, delete-orphan",
                               order_by="CaseShopEvent.received_at")

    def can_transition(self, to_status):
        return to_status in TRANSITIONS.get(self.status, set())

    def can_reopen(self, now, window):
        """A resolved case may be reopened by its customer for `window` after it was resolved."""
        return (self.can_transition("reopened") and self.resolved_at is not None
                and now - self.resolved_at <= window)

    def __repr__(self):
        return f"<Case {self.reference} {self.kind} {self.status}>"


class CaseItem(db.Model):
    __tablename__ = "case_items"
    __table_args__ = (CheckConstraint("qty > 0", name="ck_case_items_qty_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    order_item_id: Mapped[int] = mapped_column(ForeignKey("order_items.id"))
    qty: Mapped[int] = mapped_column(default=1)

    case = relationship("Case", back_populates="items")
    order_item = relationship("OrderItem")


class CaseAttachment(db.Model):
    """A customer's photo, re-encoded and stored outside static/ under a random name."""

    __tablename__ = "case_attachments"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    stored_name: Mapped[str] = mapped_column(String(80), unique=True)
    content_type: Mapped[str] = mapped_column(String(40))
    size_bytes: Mapped[int]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    case = relationship("Case", back_populates="attachments")


class CaseMessage(db.Model):
    __tablename__ = "case_messages"
    __table_args__ = (Index("ix_case_messages_case_created", "case_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    author_type: Mapped[str] = mapped_column(String(16))  # customer, agent, system
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    body: Mapped[str] = mapped_column(Text)
    # Internal notes are for staff only: never on the customer's pages, e-mails or data export.
    internal: Mapped[bool] = mapped_column(default=False)
    # How it reached us: portal, or email (a reply to one of our e-mails).
    channel: Mapped[str] = mapped_column(String(10), default="portal", server_default="portal")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    case = relationship("Case", back_populates="messages")
    staff = relationship("Staff")


class CaseEvent(db.Model):
    """The audit timeline: who changed what, from what, to what, and why."""

    __tablename__ = "case_events"
    __table_args__ = (Index("ix_case_events_case_created", "case_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    actor_type: Mapped[str] = mapped_column(String(16))  # customer, staff, system
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    field: Mapped[str] = mapped_column(String(40), default="status")
    old_value: Mapped[str] = mapped_column(String(200), default="")
    new_value: Mapped[str] = mapped_column(String(200), default="")
    reason: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    case = relationship("Case", back_populates="events")
    staff = relationship("Staff")


# A callback's status flow: every change goes through portal.surveys.followups.set_callback_status.
CALLBACK_TRANSITIONS = {"open": {"done", "cancelled"}, "done": set(), "cancelled": set()}


class CaseShopEvent(db.Model):
    """What the shop told us about a return (applied), or told us and we refused: agents see both."""

    __tablename__ = "case_shop_events"
    __table_args__ = (Index("ix_case_shop_events_case_received", "case_id", "received_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    event_id: Mapped[str] = mapped_column(String(80))
    kind: Mapped[str] = mapped_column(String(40))
    outcome: Mapped[str] = mapped_column(String(10))  # applied, refused
    data: Mapped[dict] = mapped_column(JSON, default=dict)
    # Why it was refused: a code for the agents' words (portal/labels.py), the message the shop was answered.
    refusal: Mapped[str] = mapped_column(String(20), default="")
    error: Mapped[str] = mapped_column(String(300), default="")
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    case = relationship("Case", back_populates="shop_events")


class Callback(db.Model):
    """A follow-up call an agent owes a customer."""

    __tablename__ = "callbacks"
    __table_args__ = (Index("ix_callbacks_status_due", "status", "due_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"))
    reason: Mapped[str] = mapped_column(String(200))
    phone: Mapped[str] = mapped_column(String(40), default="")
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(16), default="open")  # open, done, cancelled
    outcome_note: Mapped[str] = mapped_column(Text, default="")
    completed_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    case = relationship("Case")
    customer = relationship("Customer")

    def can_move_to(self, status):
        return status in CALLBACK_TRANSITIONS.get(self.status, set())


class ReturnDraft(db.Model):
    """A return wizard in progress, kept server-side: one per customer, replaced when they start another."""

    __tablename__ = "return_drafts"

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"), unique=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"))
    # What each finished step chose: {"items": {...}, "reason": ..., "photos": [...], "outcome": ...}.
    data: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    order = relationship("Order")
