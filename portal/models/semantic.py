"""Examples the triage model learns from beyond the bank in the repository: agents' urgency corrections."""

from datetime import datetime

from sqlalchemy import ForeignKey, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from portal.extensions import db

from .types import UTCDateTime, utcnow


class TriageExample(db.Model):
    """A complaint's text with the urgency an agent gave it; a lead can remove it in /lead/knowledge."""

    __tablename__ = "triage_examples"

    id: Mapped[int] = mapped_column(primary_key=True)
    text: Mapped[str] = mapped_column(Text)
    urgency: Mapped[str] = mapped_column(String(8))
    # The passage vector (float32 bytes), made when the example is added; empty if the model was off then.
    vector: Mapped[bytes] = mapped_column(LargeBinary, default=b"")
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id", ondelete="SET NULL"), index=True)
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
