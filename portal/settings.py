"""Settings a lead or admin changes in the browser, kept in the database with their history.

Every change is a row (key, old, new, who, when): the newest row of a key is its value, and a key nobody has
changed keeps the environment's value from Config. A change applies to what happens afterwards (cases opened
later keep the targets they were given); each is audited with who, when, old and new values.
"""

import re
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app, has_request_context, request
from sqlalchemy import func, select

from portal.business_hours import (
    WEEKDAYS,
    InvalidHours,
    add_working_time,
    check_zone,
    format_day,
    from_values,
    parse_day,
    parse_holidays,
)
from portal.extensions import db
from portal.formatting import duration
from portal.i18n import gettext as _
from portal.i18n import lazy_gettext as _l
from portal.models import AuditEntry, SettingChange, utcnow

URGENCIES = ("high", "medium", "low")
_CACHE_ATTRIBUTE = "portal_settings"
_AMOUNT = re.compile(r"([0-9]{1,11})(?:\.([0-9]{1,2}))?")
CLOCKS = ("calendar", "business")
URGENCY_LABELS = {"high": _l("High urgency"), "medium": _l("Medium urgency"), "low": _l("Low urgency")}
WEEKDAY_LABELS = dict(zip(WEEKDAYS, (_l("Monday"), _l("Tuesday"), _l("Wednesday"), _l("Thursday"), _l("Friday"),
                                     _l("Saturday"), _l("Sunday")), strict=True))
CLOCK_LABELS = {"calendar": _l("Around the clock"), "business": _l("Business hours only")}
TWO_FACTOR_SCOPES = {"admins": _l("Admins"), "everyone": _l("Every staff member")}


class SettingRefused(ValueError):
    """A value that cannot be stored; `message` says why in the user's words."""

    def __init__(self, message):
        super().__init__(str(message))
        self.message = message


@dataclass(frozen=True)
class Setting:
    key: str
    label: object
    section: str
    default: object  # config -> stored value
    parse: object  # submitted text -> stored value, or SettingRefused
    show: object = str  # stored value -> text for the form and the history


def _whole_number(low, high):
    def parse(text):
        text = (text or "").strip()
        # ASCII digits only: str.isdigit() also accepts "²", which int() refuses.
        if not text or not text.isascii() or not text.isdigit() or not low <= int(text) <= high:
            raise SettingRefused(_l("Give a whole number from %(low)d to %(high)d.", low=low, high=high))
        return int(text)

    return parse


def _amount(high_cents):
    def parse(text):
        # An amount in the order's currency with at most two decimals: "5", "5.5", "5.00".
        match = _AMOUNT.fullmatch((text or "").strip())
        cents = int(match[1]) * 100 + int((match[2] or "").ljust(2, "0")) if match else None
        if cents is None or cents > high_cents:
            raise SettingRefused(_l("Give an amount like 5.00, from 0 to %(high)d.", high=high_cents // 100))
        return cents

    return parse


def _show_amount(cents):
    return f"{cents // 100}.{cents % 100:02d}"


def _choice(choices):
    def parse(text):
        if text not in choices:
            raise SettingRefused(_l("Choose one of the options."))
        return text

    return parse


def _hours_of_day(text):
    try:
        return [list(interval) for interval in parse_day(text)]
    except InvalidHours:
        raise SettingRefused(_l("Write opening hours like 09:00-18:00, or 09:00-12:00, 13:00-17:30; "
                                "leave empty when closed.")) from None


def _holidays(text):
    try:
        return parse_holidays(text)
    except InvalidHours:
        raise SettingRefused(_l("Write one date a line, like 2026-12-25 (at most 500).")) from None


def _zone(text):
    try:
        return check_zone(text)
    except InvalidHours:
        raise SettingRefused(_l("Give a time zone like Europe/Rome or America/New_York.")) from None


def _default_day(config, day):
    text = config["BUSINESS_HOURS_WEEKEND" if day in ("sat", "sun") else "BUSINESS_HOURS_WEEKDAYS"]
    return [list(interval) for interval in parse_day(text)]


def _build():
    settings = []
    for u in URGENCIES:
        settings += [
            Setting(f"sla_first_response_minutes_{u}",
                    _l("%(urgency)s: first response (minutes)", urgency=URGENCY_LABELS[u]), "sla",
                    lambda config, u=u: int(config["SLA_FIRST_RESPONSE"][u].total_seconds() // 60),
                    _whole_number(1, 525_600)),
            Setting(f"sla_resolution_hours_{u}", _l("%(urgency)s: resolution (hours)", urgency=URGENCY_LABELS[u]),
                    "sla", lambda config, u=u: int(config["SLA_RESOLUTION"][u].total_seconds() // 3600),
                    _whole_number(1, 8_760)),
            Setting(f"sla_clock_{u}", _l("%(urgency)s: clock", urgency=URGENCY_LABELS[u]), "sla",
                    lambda config, u=u: config["SLA_CLOCK"][u], _choice(CLOCKS)),
        ]
    settings.append(Setting("two_factor_required", _l("Two-factor sign-in required for"), "security",
                            lambda config: config["STAFF_2FA_REQUIRED_FOR"], _choice(TWO_FACTOR_SCOPES)))
    settings += [
        Setting("return_window_change_of_mind_days", _l("Return window for a change of mind (days)"), "returns",
                lambda config: config["RETURN_WINDOW_NO_REASON_DAYS"], _whole_number(1, 365)),
        Setting("return_window_cross_border_days", _l("Return window for a change of mind, orders sent abroad "
                                                      "(days)"), "returns",
                lambda config: config["RETURN_WINDOW_CROSS_BORDER_DAYS"], _whole_number(1, 365)),
        Setting("return_window_quality_days", _l("Return window for faulty, damaged or wrong items (days)"),
                "returns", lambda config: config["RETURN_WINDOW_QUALITY_DAYS"], _whole_number(1, 730)),
        Setting("return_fee_change_of_mind_cents", _l("Return fee for a change of mind (in the order's currency)"),
                "returns", lambda config: config["RETURN_FEE_NO_REASON_CENTS"], _amount(100_000_00), _show_amount),
        Setting("return_cross_border_shipping_cents",
                _l("Return shipping a customer abroad pays for a change of mind (in the order's currency)"),
                "returns", lambda config: config["RETURN_CROSS_BORDER_SHIPPING_CENTS"], _amount(100_000_00),
                _show_amount),
        Setting("return_high_value_cents",
                _l("A person checks returns worth more than (in the order's currency)"), "returns",
                lambda config: config["RETURN_HIGH_VALUE_CENTS"], _amount(100_000_000_00), _show_amount),
        Setting("survey_delay_minutes", _l("Send the satisfaction survey this long after a case is resolved "
                                           "(minutes)"), "surveys",
                lambda config: int(config["SURVEY_DELAY"].total_seconds() // 60), _whole_number(0, 43_200)),
        Setting("survey_cooldown_days", _l("Ask the same customer at most once in (days)"), "surveys",
                lambda config: config["SURVEY_COOLDOWN"].days, _whole_number(0, 365)),
    ]
    settings.append(Setting("staff_idle_minutes", _l("Sign staff out after this many minutes without a page"),
                            "security", lambda config: int(config["STAFF_IDLE_TIMEOUT"].total_seconds() // 60),
                            _whole_number(5, 10_080)))
    settings.append(Setting("shop_timezone", _l("The shop's time zone"), "hours",
                            lambda config: config["SHOP_TIMEZONE"], _zone))
    for day in WEEKDAYS:
        settings.append(Setting(f"business_hours_{day}", WEEKDAY_LABELS[day], "hours",
                                lambda config, day=day: _default_day(config, day), _hours_of_day,
                                lambda value: format_day(value)))
    settings.append(Setting("holidays", _l("Holidays"), "hours",
                            lambda config: parse_holidays(config["SHOP_HOLIDAYS"]), _holidays,
                            lambda value: "\n".join(value)))
    return {setting.key: setting for setting in settings + _booking_settings()}


BOOKING_KINDS = ("repair", "callback")
BOOKING_KIND_LABELS = {"repair": _l("Repair appointments"), "callback": _l("Calls from an agent")}


def _booking_settings():
    """Per kind of appointment: opening hours per weekday, extra closed days, slot length and capacity."""
    settings = []
    for kind in BOOKING_KINDS:
        prefix = kind.upper()
        for day in WEEKDAYS:
            settings.append(Setting(
                f"{kind}_hours_{day}", _l("%(kind)s: %(day)s", kind=BOOKING_KIND_LABELS[kind], day=WEEKDAY_LABELS[day]),
                "bookings",
                lambda config, day=day, prefix=prefix: [list(interval) for interval in parse_day(
                    config[f"{prefix}_HOURS_WEEKEND" if day in ("sat", "sun") else f"{prefix}_HOURS_WEEKDAYS"])],
                _hours_of_day, lambda value: format_day(value)))
        settings += [
            Setting(f"{kind}_holidays", _l("%(kind)s: other closed days (one date a line)",
                                           kind=BOOKING_KIND_LABELS[kind]), "bookings",
                    lambda config, prefix=prefix: parse_holidays(config[f"{prefix}_HOLIDAYS"]), _holidays,
                    lambda value: "\n".join(value)),
            Setting(f"{kind}_slot_minutes", _l("%(kind)s: length of a slot (minutes)", kind=BOOKING_KIND_LABELS[kind]),
                    "bookings", lambda config, prefix=prefix: config[f"{prefix}_SLOT_MINUTES"], _whole_number(5, 480)),
            Setting(f"{kind}_slot_capacity", _l("%(kind)s: customers per slot", kind=BOOKING_KIND_LABELS[kind]),
                    "bookings", lambda config, prefix=prefix: config[f"{prefix}_SLOT_CAPACITY"],
                    _whole_number(1, 100)),
        ]
    return settings


SETTINGS = _build()


def current_values():
    """Every setting's value now: the newest change of each key, else its default from the environment.

    Read once per request (a returns page asks for each item it shows) and again after a change.
    """
    if has_request_context() and hasattr(request, _CACHE_ATTRIBUTE):
        return dict(getattr(request, _CACHE_ATTRIBUTE))
    newest = select(func.max(SettingChange.id)).group_by(SettingChange.key)
    stored = {change.key: change.new_value
              for change in db.session.scalars(select(SettingChange).where(SettingChange.id.in_(newest)))}
    config = current_app.config
    values = {key: stored[key] if key in stored else setting.default(config) for key, setting in SETTINGS.items()}
    if has_request_context():
        setattr(request, _CACHE_ATTRIBUTE, values)
    return dict(values)


def form_values(values=None):
    """The values as the settings form shows them."""
    values = current_values() if values is None else values
    return {key: SETTINGS[key].show(value) for key, value in values.items()}


def change(staff, submitted):
    """Store and audit each submitted value that differs from the current one; {} or {key: message} refused.

    All or nothing: when one value is refused, none is stored.
    """
    values = current_values()
    parsed, errors = {}, {}
    for key, text in submitted.items():
        if key not in SETTINGS:
            continue
        try:
            parsed[key] = SETTINGS[key].parse(text if isinstance(text, str) else "")
        except SettingRefused as refused:
            errors[key] = refused.message
    week = [parsed.get(f"business_hours_{day}", values[f"business_hours_{day}"]) for day in WEEKDAYS]
    if not errors and not any(week):
        errors["business_hours_mon"] = _l("Open on at least one day of the week.")
    if errors:
        return [], errors
    now, changed = utcnow(), []
    for key, value in parsed.items():
        if value == values[key]:
            continue
        db.session.add(SettingChange(key=key, old_value=values[key], new_value=value, staff_id=staff.id,
                                     changed_at=now))
        db.session.add(AuditEntry(actor_type="staff", actor_id=staff.id, action="settings.changed",
                                  target_type="setting", target_id=None,
                                  detail={"key": key, "old": values[key], "new": value}, created_at=now))
        changed.append(key)
    if has_request_context() and hasattr(request, _CACHE_ATTRIBUTE):
        delattr(request, _CACHE_ATTRIBUTE)
    return changed, {}


def describe(key, value):
    """A stored value as people read it in the history."""
    if key.startswith("sla_clock_"):
        return str(CLOCK_LABELS.get(value, value))
    if key == "two_factor_required":
        return str(TWO_FACTOR_SCOPES.get(value, value))
    if key.startswith(("business_hours_", "repair_hours_", "callback_hours_")) and not value:
        return str(_l("Closed"))
    if key in ("holidays", "repair_holidays", "callback_holidays") and not value:
        return str(_l("None"))
    setting = SETTINGS.get(key)
    return setting.show(value) if setting is not None and value is not None else str(value or "")


def history(limit=100):
    """The newest changes first, with who made them."""
    return db.session.scalars(select(SettingChange).order_by(SettingChange.id.desc()).limit(limit)).all()


def business_hours(values=None):
    values = current_values() if values is None else values
    return from_values(values["shop_timezone"],
                       {index: values[f"business_hours_{day}"] for index, day in enumerate(WEEKDAYS)},
                       values["holidays"])


def sla_due(target, urgency, start):
    """When a case of `urgency` whose `target` clock ("first_response" or "resolution") started at `start` is
    due, under the settings in force now."""
    values = current_values()
    if target == "first_response":
        duration = timedelta(minutes=values[f"sla_first_response_minutes_{urgency}"])
    else:
        duration = timedelta(hours=values[f"sla_resolution_hours_{urgency}"])
    if values[f"sla_clock_{urgency}"] == "business":
        return add_working_time(start, duration, business_hours(values))
    return start + duration


def clock_resumes_at(urgency, now=None):
    """When a business-hours clock that is stopped now starts again; None for a running or calendar clock."""
    values = current_values()
    now = now or utcnow()
    if values.get(f"sla_clock_{urgency}") != "business":
        return None
    hours = business_hours(values)
    return None if hours.is_open(now) else hours.next_opening(now)


def booking_hours(kind, values=None):
    """The opening hours of `kind` appointments ("repair" or "callback") as a calendar in the shop's zone: the
    shop's holidays and the kind's own closed days are both closed."""
    values = current_values() if values is None else values
    return from_values(values["shop_timezone"],
                       {index: values[f"{kind}_hours_{day}"] for index, day in enumerate(WEEKDAYS)},
                       sorted(set(values["holidays"]) | set(values[f"{kind}_holidays"])))


def survey_delay():
    """How long after resolving a case its survey goes out (a setting)."""
    return timedelta(minutes=current_values()["survey_delay_minutes"])


def survey_cooldown():
    """How long a customer who was sent a survey is not asked again (a setting)."""
    return timedelta(days=current_values()["survey_cooldown_days"])


def first_response_target(urgency):
    """The first-response target of an urgency now, and whether it counts business hours only: what customers
    are promised."""
    values = current_values()
    return timedelta(minutes=values[f"sla_first_response_minutes_{urgency}"]), \
        values[f"sla_clock_{urgency}"] == "business"


def response_promise(urgency):
    """The first-response promise of an urgency as the settings say it now: "10 minutes", or "1 hour during
    opening hours" when its clock counts business hours only."""
    target, business = first_response_target(urgency)
    return _("%(time)s during opening hours", time=duration(target)) if business else duration(target)
