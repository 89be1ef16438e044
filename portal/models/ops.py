"""Alert episodes: a condition (a complaint spike, a stuck outbox...) from when it was found until it cleared."""

from datetime import datetime

from sqlalchemy import JSON, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from portal.extensions import db

from .types import UTCDateTime, utcnow

ALERT_KINDS = ("complaint_spike", "outbox_backlog", "mail_failing", "sla_breaches", "shop_hooks_failing")


class AlertEpisode(db.Model):
    __tablename__ = "alert_episodes"
    __table_args__ = (Index("ix_alert_episodes_closed_at", "closed_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    # What the condition is about, e.g. the complaint category of a spike; "" when the kind says it all.
    subject: Mapped[str] = mapped_column(String(80), default="")
    # kind:subject while open and NULL once closed: the unique index lets one episode per condition be open.
    open_key: Mapped[str | None] = mapped_column(String(120), unique=True)
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The figures that opened it and their latest values, shown on the evidence page.
    evidence: Mapped[dict] = mapped_column(JSON, default=dict)

    @property
    def is_open(self):
        return self.closed_at is None

    def __repr__(self):
        return f"<AlertEpisode {self.kind}:{self.subject} {'open' if self.is_open else 'closed'}>"
