"""Times shown to a customer carry their zone's name (which times are offered: tests/cases/test_bookings.py)."""

from datetime import UTC, datetime

import pytest

from portal import hours

# A Monday evening in UTC.
NOW = datetime(2026, 12, 7, 19, 0, tzinfo=UTC)


@pytest.mark.parametrize(("zone", "locale", "label"), [
    ("America/New_York", "en", "Eastern Time (GMT-05:00)"),
    ("Asia/Shanghai", "zh", "中国时间 (GMT+08:00)"),
    ("UTC", "en", "UTC"),
])
def test_the_zone_is_named_as_a_person_reads_it(zone, locale, label):
    assert hours.zone_label(zone, locale, NOW) == label
