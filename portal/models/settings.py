"""Settings changed in the browser: one row per change, so the newest row of a key is its value and the rest
are its history."""

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.extensions import db

from .types import UTCDateTime, utcnow


class SettingChange(db.Model):
    __tablename__ = "setting_changes"
    __table_args__ = (Index("ix_setting_changes_key_id", "key", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(60))
    old_value: Mapped[object] = mapped_column(JSON, nullable=True)
    new_value: Mapped[object] = mapped_column(JSON, nullable=True)
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    staff = relationship("Staff")
