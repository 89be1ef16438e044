"""The SLA clock that stops outside business hours: weekends, holidays, daylight saving in two zones."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from portal.business_hours import (
    BusinessHours,
    InvalidHours,
    add_working_time,
    check_zone,
    parse_day,
    parse_holidays,
)

WEEKDAYS_9_TO_6 = {day: [("09:00", "18:00")] for day in range(5)}


def _local(zone, *args):
    return datetime(*args, tzinfo=ZoneInfo(zone))


def test_a_complaint_at_17_55_on_friday_with_a_10_minute_target_is_due_09_05_monday():
    hours = BusinessHours(zone="Europe/Rome", weekly=WEEKDAYS_9_TO_6)
    due = add_working_time(_local("Europe/Rome", 2026, 6, 12, 17, 55), timedelta(minutes=10), hours)
    assert due.astimezone(ZoneInfo("Europe/Rome")) == _local("Europe/Rome", 2026, 6, 15, 9, 5)
    assert due.tzinfo == UTC


def test_a_holiday_is_skipped():
    hours = BusinessHours(zone="Europe/Rome", weekly=WEEKDAYS_9_TO_6,
                          holidays=frozenset({datetime(2026, 6, 15).date()}))
    due = add_working_time(_local("Europe/Rome", 2026, 6, 12, 17, 55), timedelta(minutes=10), hours)
    assert due == _local("Europe/Rome", 2026, 6, 16, 9, 5)


@pytest.mark.parametrize("zone, friday, monday", [
    # Clocks go forward on the Sunday in both: the due time is 09:05 local, an hour earlier in UTC.
    ("Europe/Berlin", (2026, 3, 27), (2026, 3, 30)),
    ("America/New_York", (2026, 3, 6), (2026, 3, 9)),
    # And back in autumn.
    ("Europe/Berlin", (2026, 10, 23), (2026, 10, 26)),
    ("America/New_York", (2026, 10, 30), (2026, 11, 2)),
])
def test_a_weekend_with_a_daylight_saving_change_keeps_local_opening_hours(zone, friday, monday):
    hours = BusinessHours(zone=zone, weekly=WEEKDAYS_9_TO_6)
    due = add_working_time(_local(zone, *friday, 17, 55), timedelta(minutes=10), hours)
    assert due == _local(zone, *monday, 9, 5)
    assert due.astimezone(ZoneInfo(zone)).utcoffset() != _local(zone, *friday, 17, 55).utcoffset()


@pytest.mark.parametrize("zone, night, real_hours", [
    ("Europe/Berlin", (2026, 3, 29), 8),  # 00:00-08:00 local is 7 real hours on this night
    ("America/New_York", (2026, 11, 1), 8),  # and 9 on this one
])
def test_open_hours_on_a_daylight_saving_night_count_the_hours_that_really_pass(zone, night, real_hours):
    hours = BusinessHours(zone=zone, weekly={day: [("00:00", "24:00")] for day in range(7)})
    start = _local(zone, *night, 0, 0)
    due = add_working_time(start, timedelta(hours=real_hours), hours)
    assert due - start.astimezone(UTC) == timedelta(hours=real_hours)
    assert due.astimezone(ZoneInfo(zone)).hour != real_hours


def test_time_inside_hours_runs_on_the_same_day_and_split_days_skip_the_lunch_break():
    hours = BusinessHours(zone="UTC", weekly={0: [("09:00", "12:00"), ("13:00", "18:00")]})
    start = datetime(2026, 6, 15, 11, 30, tzinfo=UTC)
    assert add_working_time(start, timedelta(minutes=20), hours) == datetime(2026, 6, 15, 11, 50, tzinfo=UTC)
    assert add_working_time(start, timedelta(minutes=40), hours) == datetime(2026, 6, 15, 13, 10, tzinfo=UTC)


def test_next_opening_is_when_a_paused_clock_resumes():
    hours = BusinessHours(zone="UTC", weekly=WEEKDAYS_9_TO_6)
    saturday = datetime(2026, 6, 13, 10, 0, tzinfo=UTC)
    assert hours.next_opening(saturday) == datetime(2026, 6, 15, 9, 0, tzinfo=UTC)
    assert not hours.is_open(saturday) and hours.is_open(datetime(2026, 6, 15, 9, 0, tzinfo=UTC))


def test_a_calendar_without_open_hours_is_refused():
    with pytest.raises(InvalidHours):
        add_working_time(datetime(2026, 6, 15, tzinfo=UTC), timedelta(minutes=1), BusinessHours(zone="UTC"))


@pytest.mark.parametrize("text", ["9-18", "09:00-08:00", "25:00-26:00", "09:00-24:30", "09:00-12:00,11:00-13:00",
                                  "<script>", "09:00-18:00x"])
def test_unreadable_hours_are_refused(text):
    with pytest.raises(InvalidHours):
        parse_day(text)


def test_hours_are_read_sorted():
    assert parse_day(" 13:00-18:00 , 09:00-12:00") == [("09:00", "12:00"), ("13:00", "18:00")]
    assert parse_day("") == []


@pytest.mark.parametrize("text", ["2026-02-30", "20261225", "tomorrow", "2026-12-25 x"])
def test_unreadable_holidays_are_refused(text):
    with pytest.raises(InvalidHours):
        parse_holidays(text)


@pytest.mark.parametrize("name", ["Mars/Olympus", "../../etc/passwd", "", "europe/rome"])
def test_unknown_zones_are_refused(name):
    with pytest.raises(InvalidHours):
        check_zone(name)


@pytest.mark.parametrize("name, value", [("SHOP_TIMEZONE", "Nowhere/Else"), ("BUSINESS_HOURS_WEEKDAYS", "9-5"),
                                         ("SHOP_HOLIDAYS", "christmas"), ("SLA_HIGH_CLOCK", "sometimes")])
def test_an_unreadable_working_week_in_the_environment_stops_start_up(tmp_path, name, value):
    from portal.config import Config

    with pytest.raises(ValueError):
        Config(tmp_path, env={"SECRET_KEY": "x", name: value})
