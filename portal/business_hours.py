"""The shop's working week: opening hours per weekday and holidays, in the shop's time zone.

`add_working_time` is the one place an SLA clock that stops outside business hours is computed. It walks the
open intervals day by day and measures each in UTC, so an interval on a daylight-saving night counts the hours
that really pass.
"""

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from zoneinfo import ZoneInfo, available_timezones

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
# A calendar with no open hour in this many days has none at all.
SEARCH_DAYS = 3 * 366
_INTERVAL = re.compile(r"^\s*([01]\d|2[0-3]):([0-5]\d)\s*-\s*([01]\d|2[0-3]|24):([0-5]\d)\s*$")


class InvalidHours(ValueError):
    """Opening hours, a holiday or a zone that cannot be read; `reason` names which."""

    def __init__(self, reason):
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class BusinessHours:
    zone: str = "UTC"
    # weekday (0 = Monday) -> [(opens, closes)] as "HH:MM" strings; "24:00" closes at midnight
    weekly: dict = field(default_factory=dict)
    holidays: frozenset = frozenset()

    def intervals(self, day):
        """The open intervals of a local date as aware datetimes in the shop's zone."""
        if day in self.holidays:
            return []
        zone = ZoneInfo(self.zone)
        result = []
        for opens, closes in self.weekly.get(day.weekday(), ()):
            begin = datetime.combine(day, _clock(opens), tzinfo=zone)
            end = (datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone) if closes == "24:00"
                   else datetime.combine(day, _clock(closes), tzinfo=zone))
            result.append((begin, end))
        return result

    def is_open(self, moment):
        local = moment.astimezone(ZoneInfo(self.zone))
        return any(begin <= local < end for begin, end in self.intervals(local.date()))

    def next_opening(self, moment):
        """When the shop next opens at or after `moment` (UTC), or `moment` itself while it is open."""
        return add_working_time(moment, timedelta(0), self)


def _clock(text):
    hours, minutes = text.split(":")
    return time(int(hours), int(minutes))


def add_working_time(start, duration, hours):
    """The UTC time when `duration` of open hours has passed after `start`, counting only open intervals."""
    if start.tzinfo is None:
        raise ValueError("naive datetime: pass a timezone-aware UTC time")
    moment = start.astimezone(UTC)
    remaining = duration
    day = moment.astimezone(ZoneInfo(hours.zone)).date()
    for _ in range(SEARCH_DAYS):
        for begin, end in hours.intervals(day):
            begin, end = begin.astimezone(UTC), end.astimezone(UTC)
            if end <= moment:
                continue
            moment = max(moment, begin)
            if moment + remaining <= end:
                return moment + remaining
            remaining -= end - moment
            moment = end
        day += timedelta(days=1)
    raise InvalidHours("no_open_hours")


def parse_day(text):
    """'09:00-12:00, 13:00-18:00' as [(opens, closes)]; empty means closed all day."""
    intervals = []
    for part in (p for p in (text or "").split(",") if p.strip()):
        match = _INTERVAL.match(part)
        if match is None:
            raise InvalidHours("interval")
        opens, closes = f"{match[1]}:{match[2]}", f"{match[3]}:{match[4]}"
        if match[3] == "24" and match[4] != "00":
            raise InvalidHours("interval")
        if closes != "24:00" and closes <= opens:
            raise InvalidHours("order")
        intervals.append((opens, closes))
    intervals.sort()
    if any(a[1] > b[0] for a, b in zip(intervals, intervals[1:], strict=False)):
        raise InvalidHours("overlap")
    return intervals


def format_day(intervals):
    return ", ".join(f"{opens}-{closes}" for opens, closes in intervals)


def parse_holidays(text):
    """One YYYY-MM-DD a line (or separated by commas) as a sorted list of ISO strings."""
    days = set()
    for part in re.split(r"[\s,]+", text or ""):
        if not part:
            continue
        try:
            if len(part) != 10:  # fromisoformat also reads 20261225; people write 2026-12-25
                raise ValueError(part)
            days.add(date.fromisoformat(part).isoformat())
        except ValueError:
            raise InvalidHours("holiday") from None
    if len(days) > 500:
        raise InvalidHours("holiday")
    return sorted(days)


def check_zone(name):
    """An IANA zone name this machine knows (checked against the list, never opened as a path first)."""
    name = (name or "").strip()
    if name not in _zones():
        raise InvalidHours("zone")
    return name


@cache
def _zones():
    return frozenset(available_timezones()) | {"UTC"}


def from_values(zone, weekly, holidays):
    """BusinessHours from stored values: weekly is {"0": [["09:00", "18:00"]], ...}, holidays ISO strings."""
    return BusinessHours(zone=zone,
                         weekly={int(day): [tuple(interval) for interval in intervals]
                                 for day, intervals in weekly.items()},
                         holidays=frozenset(date.fromisoformat(d) for d in holidays))
