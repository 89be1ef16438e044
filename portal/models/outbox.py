"""The outbox: work that must happen after a change, written in the same transaction as the change."""

from datetime import datetime

from sqlalchemy import JSON, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from portal.extensions import db

from .types import UTCDateTime, utcnow

# pending -> enqueued -> running -> done; running -> pending again (retry) or failed.
OUTBOX_STATUSES = ("pending", "enqueued", "running", "done", "failed")


class OutboxRow(db.Model):
    __tablename__ = "outbox"
    __table_args__ = (
        Index("ix_outbox_status_due", "status", "not_before"),
        # The alert sweep counts one job's recent rows every minute (SLA breaches), in a table that keeps every e-mail.
        Index("ix_outbox_job_created", "job_name", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # What makes the effect happen once: e.g. survey:case:123.
    key: Mapped[str] = mapped_column(String(200), unique=True)
    job_name: Mapped[str] = mapped_column(String(80))
    args: Mapped[list] = mapped_column(JSON, default=list)
    queue: Mapped[str] = mapped_column(String(16), default="default")
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    not_before: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    enqueued_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    rq_job_id: Mapped[str | None] = mapped_column(String(80))
    # While a worker holds the row (its batch started), it renews this every few seconds; a lapsed lease
    # means the worker died, and the relay hands the row out again without waiting for RQ's job timeout.
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # What the job reported, e.g. the SMTP Message-ID of the e-mail it sent.
    result: Mapped[str] = mapped_column(String(300), default="")
    last_error: Mapped[str] = mapped_column(Text, default="")
    # The id of the request (or job) that caused this work: its log lines and this row's job share it.
    request_id: Mapped[str | None] = mapped_column(String(64), index=True)

    def __repr__(self):
        return f"<OutboxRow {self.key} {self.status}>"
