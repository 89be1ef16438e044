"""Satisfaction surveys sent after a case is resolved, and the customer's answer."""

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.extensions import db

from .types import UTCDateTime, utcnow


class Survey(db.Model):
    __tablename__ = "surveys"
    __table_args__ = (
        Index("ix_surveys_customer_sent", "customer_id", "sent_at"),
        Index("ix_surveys_sent", "sent_at"),  # the dashboard's response rate
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), unique=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"))
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reminder_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    case = relationship("Case")
    answer = relationship("SurveyAnswer", back_populates="survey", uselist=False)


class SurveyAnswer(db.Model):
    __tablename__ = "survey_answers"
    __table_args__ = (
        CheckConstraint("score between 1 and 5", name="ck_survey_score"),
        CheckConstraint("ces is null or ces between 1 and 7", name="ck_survey_ces"),
        CheckConstraint("speed is null or speed between 1 and 5", name="ck_survey_speed"),
        CheckConstraint("attitude is null or attitude between 1 and 5", name="ck_survey_attitude"),
        CheckConstraint("nps is null or nps between 0 and 10", name="ck_survey_nps"),
        Index("ix_survey_answers_answered", "answered_at"),
        # Covers the dashboard's CSAT, NPS and CES over a date range.
        Index("ix_survey_answers_answered_cover", "answered_at", "score", "nps", "ces", "survey_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("surveys.id", ondelete="CASCADE"), unique=True)
    score: Mapped[int]
    ces: Mapped[int | None]
    speed: Mapped[int | None]
    attitude: Mapped[int | None]
    solved: Mapped[bool | None]
    nps: Mapped[int | None]
    comment: Mapped[str] = mapped_column(Text, default="")
    answered_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    survey = relationship("Survey", back_populates="answer")
