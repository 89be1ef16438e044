"""The one rule for times offered to a customer: the shop's opening hours, the customer's daytime and zone."""

from datetime import UTC, datetime

import pytest
import pytz

from portal import hours

# A Monday evening in UTC.
NOW = datetime(2026, 12, 7, 19, 0, tzinfo=UTC)


def local_hours(slots, zone):
    return {slot.astimezone(pytz.timezone(zone)).hour for slot in slots}


def test_a_customer_in_new_york_is_offered_daytime_in_new_york_not_four_in_the_morning(app):
    slots = hours.offered_slots(NOW, "America/New_York")

    assert slots
    assert all(9 <= hour < 18 for hour in local_hours(slots, "America/New_York"))
    assert all(hours.shop_is_open(slot) for slot in slots)


@pytest.mark.parametrize("zone", ["America/New_York", "Asia/Shanghai", "Asia/Kolkata", "UTC", "Pacific/Auckland"])
def test_every_slot_is_inside_the_shops_hours_on_a_weekday_and_in_the_future(app, zone):
    app.config.update(SHOP_TIMEZONE="Europe/Berlin", SHOP_OPEN_HOUR=9, SHOP_CLOSE_HOUR=17)

    slots = hours.offered_slots(NOW, zone)

    assert len(slots) >= 7
    for slot in slots:
        shop_time = slot.astimezone(pytz.timezone("Europe/Berlin"))
        assert shop_time.weekday() < 5 and 9 <= shop_time.hour < 17
        assert slot > NOW


def test_a_customer_far_from_the_shop_still_gets_times_at_a_waking_hour_when_possible(app):
    app.config.update(SHOP_TIMEZONE="Europe/Berlin", SHOP_OPEN_HOUR=9, SHOP_CLOSE_HOUR=17)

    slots = hours.offered_slots(NOW, "Asia/Shanghai")

    assert all(9 <= hour < 18 for hour in local_hours(slots, "Asia/Shanghai"))


def test_an_unknown_zone_is_read_as_utc(app):
    assert hours.offered_slots(NOW, "Mars/Olympus") == hours.offered_slots(NOW, "UTC")


@pytest.mark.parametrize(("zone", "locale", "label"), [
    ("America/New_York", "en", "Eastern Time (GMT-05:00)"),
    ("Asia/Shanghai", "zh", "中国时间 (GMT+08:00)"),
    ("UTC", "en", "UTC"),
])
def test_the_zone_is_named_as_a_person_reads_it(zone, locale, label):
    assert hours.zone_label(zone, locale, NOW) == label
