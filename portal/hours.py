"""The one rule for times offered to a customer: inside the shop's opening hours, at an hour the customer
would call daytime in their own zone, and always shown with that zone's name.

The shop's hours are read from Config (SHOP_TIMEZONE, SHOP_OPEN_HOUR, SHOP_CLOSE_HOUR, working days Monday to
Friday); everything stored stays in UTC.
"""

from datetime import UTC, datetime, time, timedelta

import pytz
from babel.dates import get_timezone_gmt, get_timezone_name
from flask import current_app

# Hours at which a person expects a call in their own zone; the wider range is used only when the shop is
# never open during the narrower one (a customer on the other side of the world).
CUSTOMER_DAYTIMES = ((9, 18), (7, 22))
SEARCH_DAYS = 21


def zone_named(name):
    """The customer's zone, or UTC for a name pytz does not know."""
    return pytz.timezone(name) if name in pytz.all_timezones_set else pytz.utc


def shop_is_open(moment):
    config = current_app.config
    local = moment.astimezone(zone_named(config["SHOP_TIMEZONE"]))
    return local.weekday() < 5 and config["SHOP_OPEN_HOUR"] <= local.hour < config["SHOP_CLOSE_HOUR"]


def _open_hours_on(day, zone, daytime):
    starts = (zone.localize(datetime.combine(day, time(hour))) for hour in range(*daytime))
    return [start for start in starts if shop_is_open(start)]


def _morning_and_afternoon(hours):
    """The first open hour and one at least four hours later (else the last), so a customer can choose."""
    later = next((hour for hour in hours if hour - hours[0] >= timedelta(hours=4)), hours[-1])
    return [hours[0]] if later == hours[0] else [hours[0], later]


def offered_slots(now, zone_name, days=7):
    """Call times on the next `days` days the shop is open, two a day where it can, in UTC."""
    zone = zone_named(zone_name)
    first_day = now.astimezone(zone).date() + timedelta(days=1)
    for daytime in CUSTOMER_DAYTIMES:
        slots, found_days = [], 0
        for offset in range(SEARCH_DAYS):
            hours = _open_hours_on(first_day + timedelta(days=offset), zone, daytime)
            if hours:
                slots += [hour.astimezone(UTC) for hour in _morning_and_afternoon(hours)]
                found_days += 1
                if found_days == days:
                    break
        if slots:
            return slots
    return []


def zone_label(zone_name, locale, at):
    """A zone as a person reads it: "Eastern Time (GMT-05:00)", "中国时间 (GMT+08:00)", or "UTC"."""
    zone = zone_named(zone_name)
    if zone is pytz.utc:
        return "UTC"
    offset = get_timezone_gmt(at.astimezone(zone), locale=locale)
    return f"{get_timezone_name(zone, locale=locale)} ({offset})"
