"""Times shown to a customer: in their own zone, always with that zone's name.

Which times are offered comes from the settings' calendars (portal/bookings.py over portal/business_hours.py);
everything stored stays in UTC.
"""

import pytz
from babel.dates import get_timezone_gmt, get_timezone_name


def zone_named(name):
    """The customer's zone, or UTC for a name pytz does not know."""
    return pytz.timezone(name) if name in pytz.all_timezones_set else pytz.utc


def zone_label(zone_name, locale, at):
    """A zone as a person reads it: "Eastern Time (GMT-05:00)", "中国时间 (GMT+08:00)", or "UTC"."""
    zone = zone_named(zone_name)
    if zone is pytz.utc:
        return "UTC"
    offset = get_timezone_gmt(at.astimezone(zone), locale=locale)
    return f"{get_timezone_name(zone, locale=locale)} ({offset})"
