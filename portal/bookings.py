"""Repair appointments and agents' calls that customers book themselves, in slots with a capacity.

Slots come from the settings (portal/settings.py): opening hours per weekday in the shop's time zone, the
shop's holidays plus the kind's own closed days, a slot length and how many customers a slot takes. The
calendar is portal/business_hours.py's, the one the SLA clocks use. Whether a seat is free is decided by the
database at the INSERT (see portal/models/bookings.py), never by counting first and writing after.
"""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from portal import hours, settings, shop_events
from portal.casework import service as cases
from portal.extensions import db
from portal.formatting import to_user_timezone
from portal.jobs import schedule
from portal.models import Booking, utcnow
from portal.models.cases import OPEN_STATUSES

KINDS = ("repair", "callback")
# How far ahead customers may book, and the least notice the shop needs.
BOOKING_DAYS = 14
MIN_NOTICE = timedelta(hours=2)
REMINDER_BEFORE = timedelta(days=1)
# Hours at which a person expects an appointment in their own zone; all slots are offered when none falls
# inside (a customer on the other side of the world).
CUSTOMER_DAYTIME = (7, 22)
# Statuses in which a repair still waits for its appointment.
REPAIR_BOOKABLE = (*OPEN_STATUSES, "approved", "awaiting_item", "received")


class BookingRefused(ValueError):
    """A booking that cannot be made; `reason` is one of: not_offered, full, closed, no_call."""

    def __init__(self, reason):
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Slot:
    start: datetime  # UTC
    end: datetime
    free: int

    @property
    def value(self):
        """The slot as a form sends it back."""
        return self.start.isoformat()


def slot_times(kind, now, values=None, days=BOOKING_DAYS):
    """Every (start, end) of `kind` from `now` plus the notice to `days` days on, in UTC.

    Slots are counted in UTC from each opening, so a day when the clocks change has the slots that really fit.
    """
    values = settings.current_values() if values is None else values
    calendar = settings.booking_hours(kind, values)
    length = timedelta(minutes=values[f"{kind}_slot_minutes"])
    earliest = now + MIN_NOTICE
    first_day = now.astimezone(hours.zone_named(calendar.zone)).date()
    times = []
    for offset in range(days + 1):
        for begin, end in calendar.intervals(first_day + timedelta(days=offset)):
            start, end = begin.astimezone(UTC), end.astimezone(UTC)
            while start + length <= end:
                if start >= earliest:
                    times.append((start, start + length))
                start += length
    return times


def _taken(kind, times):
    if not times:
        return {}
    rows = db.session.execute(
        select(Booking.slot_start, func.count()).where(Booking.kind == kind, Booking.slot_start >= times[0][0],
                                                       Booking.slot_start <= times[-1][0])
        .group_by(Booking.slot_start)).all()
    return {start.astimezone(UTC) if start.tzinfo else start.replace(tzinfo=UTC): count for start, count in rows}


def free_slots(kind, now, zone_name=None):
    """The slots of `kind` a customer may still book, soonest first; daytime ones for their zone if any."""
    values = settings.current_values()
    capacity = values[f"{kind}_slot_capacity"]
    times = slot_times(kind, now, values)
    taken = _taken(kind, times)
    slots = [Slot(start, end, capacity - taken.get(start, 0)) for start, end in times
             if taken.get(start, 0) < capacity]
    if zone_name:
        zone = hours.zone_named(zone_name)
        daytime = [s for s in slots if CUSTOMER_DAYTIME[0] <= s.start.astimezone(zone).hour < CUSTOMER_DAYTIME[1]]
        slots = daytime or slots
    return slots


def by_day(slots):
    """[(day, [slots])] by the day each starts in the reader's time zone, for a grouped list."""
    days = {}
    for slot in slots:
        days.setdefault(to_user_timezone(slot.start).date(), []).append(slot)
    return list(days.items())


def parse_slot(text):
    """A posted slot value as an aware UTC datetime, or None for anything else."""
    text = (text or "").strip()
    if not text or len(text) > 40:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment.astimezone(UTC) if moment.tzinfo is not None else None


def booking_for(kind, case):
    return db.session.scalar(select(Booking).where(Booking.kind == kind, Booking.case_id == case.id))


def book(kind, case, start, now=None, callback=None, actor_type="customer"):
    """Hold a seat in the slot at `start` for the case (moving its earlier booking of this kind): the Booking,
    or BookingRefused("full") when every seat went, ("not_offered") for a time that is not a slot.

    Each seat is tried in a savepoint: the unique key refuses a seat another request holds, even one that
    committed a moment ago, so two requests for the last seat cannot both succeed.
    """
    now = now or utcnow()
    if kind not in KINDS:
        raise ValueError(kind)
    if kind == "repair" and not can_book_repair(case):
        raise BookingRefused("closed")
    values = settings.current_values()
    ends = dict(slot_times(kind, now, values))
    if start not in ends:
        raise BookingRefused("not_offered")
    earlier = booking_for(kind, case)
    if earlier is not None and earlier.slot_start == start:
        return earlier
    old_start = earlier.slot_start if earlier is not None else None
    # The case's own writes go first: on SQLite they open the transaction (pysqlite begins one only before a
    # write), so each seat's savepoint below nests inside it instead of committing on its own at RELEASE.
    if kind == "repair":
        case.repair_slot = start
    else:
        callback.due_at = start
    _record(case, kind, old_start, start, actor_type, now)
    if earlier is not None:
        db.session.delete(earlier)
    db.session.flush()
    booking = None
    for seat in range(values[f"{kind}_slot_capacity"]):
        candidate = Booking(kind=kind, slot_start=start, slot_end=ends[start], seat=seat, case_id=case.id,
                            customer_id=case.customer_id, callback_id=callback.id if callback else None,
                            created_at=now)
        try:
            with db.session.begin_nested():
                db.session.add(candidate)
                db.session.flush()
        except IntegrityError:
            continue
        booking = candidate
        break
    if booking is None:
        raise BookingRefused("full")
    if kind == "repair" and case.status not in ("submitted", "needs_review"):
        shop_events.repair_booked(case)  # an approved repair moved: the shop holds the new time
    if start - REMINDER_BEFORE > now:
        # The start is in the key and the job's arguments: SQLite may give a moved booking its old id back.
        when = start.isoformat()
        schedule("booking.reminder", booking.id, when, key=f"booking:reminder:{booking.id}:{when}",
                 not_before=start - REMINDER_BEFORE)
    return booking


def cancel(kind, case, now=None, actor_type="customer"):
    """Give the seat back; the case keeps the history. Returns the cancelled booking's start, or None."""
    booking = booking_for(kind, case)
    if booking is None:
        return None
    if kind == "repair" and not can_book_repair(case):
        raise BookingRefused("closed")
    start = booking.slot_start
    db.session.delete(booking)
    if kind == "repair":
        case.repair_slot = None
    _record(case, kind, start, None, actor_type, now or utcnow())
    return start


def _record(case, kind, old, new, actor_type, now):
    cases.record_event(case, f"{kind}_slot", old.isoformat() if old else "", new.isoformat() if new else "",
                       actor_type=actor_type, now=now)


def booked_callback_ids(callback_ids):
    """Which of these callbacks have a time the customer chose."""
    if not callback_ids:
        return set()
    return set(db.session.scalars(select(Booking.callback_id).where(Booking.callback_id.in_(callback_ids))))


def can_book_repair(case):
    return case.kind == "repair" and case.status in REPAIR_BOOKABLE
