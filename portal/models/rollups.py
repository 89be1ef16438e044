"""The leads' daily roll-ups: each closed UTC day's dashboard counts, kept so a year of data reads fast."""

from datetime import date, datetime

from sqlalchemy import JSON, BigInteger, Date, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from portal.extensions import db

from .types import UTCDateTime


class RollupDay(db.Model):
    """A day's roll-up state: a change on the day bumps `version`; a build records the version it read.

    The dashboard reads a day's roll-up only while built_version equals version, so a change that the
    roll-up does not hold yet is never shown from it: that day is counted live instead.
    """

    __tablename__ = "lead_rollup_days"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    version: Mapped[int] = mapped_column(BigInteger, default=0)
    built_version: Mapped[int | None] = mapped_column(BigInteger)
    built_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class DailyCount(db.Model):
    """One count of one day, e.g. ("answers_by_score", "5") or ("category", "damaged")."""

    __tablename__ = "lead_daily_counts"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    measure: Mapped[str] = mapped_column(String(40), primary_key=True)
    key: Mapped[str] = mapped_column(String(80), primary_key=True)
    value: Mapped[int] = mapped_column(BigInteger)


class DailyDurations(db.Model):
    """A day's first-response or resolution times of escalated cases of one urgency and agent.

    The times themselves are kept (sorted seconds), not buckets, so medians and p90 stay exact.
    """

    __tablename__ = "lead_daily_durations"
    __table_args__ = (Index("ix_lead_daily_durations_day", "day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(Date)
    kind: Mapped[str] = mapped_column(String(16))  # first_response or resolution
    urgency: Mapped[str] = mapped_column(String(8))
    assignee_id: Mapped[int | None]  # None: unassigned
    within_target: Mapped[int]
    seconds: Mapped[list] = mapped_column(JSON)
