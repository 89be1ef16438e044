"""Appointments customers book themselves: a repair, or a call from an agent, in a slot with a capacity.

A row is a held seat. Why seats: the database alone must refuse the booking past a slot's capacity, also when
two requests arrive at the same moment, on SQLite and PostgreSQL alike. A unique (kind, slot_start, seat) key
with seat numbers below the capacity does that with a plain INSERT: the second request for the last seat
breaks the key and tries the next seat, or finds none. A counter row with a conditional UPDATE would do it
too, but needs a row per slot created ahead of time (or an upsert race of its own) and a second table to
say who holds the seats. Cancelling deletes the row, so the seat is free again at once; the case's
timeline keeps the history.
"""

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.extensions import db

from .types import UTCDateTime, utcnow

BOOKING_KINDS = ("repair", "callback")


class Booking(db.Model):
    __tablename__ = "bookings"
    __table_args__ = (
        UniqueConstraint("kind", "slot_start", "seat", name="uq_bookings_kind_slot_seat"),
        # One appointment of a kind per case: a second booking is a reschedule.
        UniqueConstraint("kind", "case_id", name="uq_bookings_kind_case"),
        CheckConstraint("seat >= 0", name="ck_bookings_seat"),
        CheckConstraint("kind in ('repair', 'callback')", name="ck_bookings_kind"),
        Index("ix_bookings_slot", "slot_start"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    slot_start: Mapped[datetime] = mapped_column(UTCDateTime)
    slot_end: Mapped[datetime] = mapped_column(UTCDateTime)
    seat: Mapped[int]
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"))
    callback_id: Mapped[int | None] = mapped_column(ForeignKey("callbacks.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    case = relationship("Case")
    customer = relationship("Customer")
    callback = relationship("Callback")

    def __repr__(self):
        return f"<Booking {self.kind} {self.slot_start.isoformat()} seat {self.seat}>"
